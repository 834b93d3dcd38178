"""Defaults shared by every experiment config: the training loop's bookkeeping, not the science.

Each file in experiments/ starts from `base_config()` and sets method, data, model and optimizer explicitly.
"""

import ml_collections


def base_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.seed = 0
    config.batch_size = 64  # Global, over all devices of all processes.
    config.num_train_steps = 1000
    config.log_every_steps = 100
    config.sample_every_steps = 500
    config.checkpoint_every_steps = 500
    config.max_checkpoints_to_keep = 3
    config.data = ml_collections.ConfigDict(
        {
            'name': '',
            'data_dir': '',  # TFDS data: '' = $TFDS_DATA_DIR or ~/tensorflow_datasets.
            'download': False,  # Let TFDS download and prepare a missing dataset (needs internet).
            'source': 'embedded',  # mnist / stacked_mnist: 'embedded' (5,000 digits, offline) or 'tfds' (full MNIST).
            'num_threads': 0,  # Grain threads reading and decoding TFDS records ahead; 0 = one per core, <= 16.
            'prefetch_batches': 4,
            'num_test_examples': 10_000,  # Held-out TFDS images kept in memory for eval and reconstructions.
        }
    )
    return config


def adam(
    learning_rate: float, b1: float = 0.5, b2: float = 0.999, schedule: str = 'constant'
) -> ml_collections.ConfigDict:
    """Adam; `schedule='cosine'` decays the learning rate to 0 over the run (methods/api.py, make_optimizer)."""
    return ml_collections.ConfigDict({'learning_rate': learning_rate, 'b1': b1, 'b2': b2, 'schedule': schedule})


def sgd(learning_rate: float) -> ml_collections.ConfigDict:
    """Plain SGD: the tests use it where a gradient's scale must show in the parameters (Adam divides it out)."""
    return ml_collections.ConfigDict({'kind': 'sgd', 'learning_rate': learning_rate})
