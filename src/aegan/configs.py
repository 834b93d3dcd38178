"""Defaults shared by the experiment configs (the Flax examples' `configs/default.py` pattern).

`base_config()` is the training loop's bookkeeping. `experiment(method, dataset)` adds the dataset's block: budget,
intervals and the nets every method uses on it (`DATASETS`: changing a dataset's budget is one edit here). Each
file in experiments/ then sets only what is specific to its (method, dataset) pair: the method's own section and the
optimizer, the rows of the paper's table.

This module is the bottom of the package: it imports nothing of aegan's, so that every layer above (methods,
trainer, eval, study) can read it. What a config must know of a method, the networks it trains, is data here
(`NETWORKS`), and each methods/<name>.py takes its `NETS` from it.
"""

import ml_collections

# The networks each method trains, by role, in the order its module builds them: a config holds one `optim.<net>`
# block per entry. The study reads its settings from them (a data discriminator to resize, a code discriminator).
NETWORKS = {
    'alphagan': ('encoder', 'generator', 'discriminator', 'code_discriminator'),
    'ae': ('encoder', 'generator'),
    'vae': ('encoder', 'generator'),
    'dcgan': ('generator', 'discriminator'),
    'wgan_gp': ('generator', 'discriminator'),
    'aae': ('encoder', 'generator', 'code_discriminator'),
    'age': ('encoder', 'generator'),
    'classifier': ('classifier',),
}


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
    # What aegan.eval does before sampling (its flag of the same name overrides): train-mode passes of fresh z that
    # refresh G's BatchNorm statistics with the evaluated weights (eval.recompute_batch_stats); 0: the running ones.
    config.eval = ml_collections.ConfigDict({'batchnorm_passes': 0})
    return config


def adam(
    learning_rate: float, b1: float = 0.5, b2: float = 0.999, schedule: str = 'constant'
) -> ml_collections.ConfigDict:
    """Adam; `schedule='cosine'` decays the learning rate to 0 over the run (methods/api.py, make_optimizer)."""
    return ml_collections.ConfigDict({'learning_rate': learning_rate, 'b1': b1, 'b2': b2, 'schedule': schedule})


def sgd(learning_rate: float) -> ml_collections.ConfigDict:
    """Plain SGD: the tests use it where a gradient's scale must show in the parameters (Adam divides it out)."""
    return ml_collections.ConfigDict({'kind': 'sgd', 'learning_rate': learning_rate})


_TWO_D = dict(
    batch_size=128,
    num_train_steps=10_000,
    sample_every_steps=2000,
    checkpoint_every_steps=2000,
    data=dict(num_train_examples=0),  # a fresh stream
    model=dict(
        kind='mlp',
        z_dim=2,
        hidden=(128, 128),
        activation='leaky_relu',
        norm='none',
        init_std=0.0,
        discriminator_hidden=(128, 128),
        discriminator_activation='leaky_relu',
        maxout_pieces=5,  # read only where the activation is 'maxout'
    ),
    code_disc_hidden=(128, 128),
)
# PacGAN's synthetic experiment, exactly (fjxmlzn/PacGAN, synthetic_data_experiments/2DRing_GAN&PacGAN/config.py and
# pacgan_task.py): G 4 x 400 ReLU with BatchNorm, D 3 x 200 linear maxout of 5 pieces, weights N(0, 0.02); 100,000
# training points; batch 100; 400 epochs; Adam 1e-4, beta1 0.8 for every net; no weight average; samples after 50
# train-mode batches of 100 that refresh G's BatchNorm statistics (its per-epoch monitoring pass). α-GAN's encoder is
# built like G and its code discriminator like D.
_PACGAN_2D = dict(
    batch_size=100,
    eval=dict(batchnorm_passes=50),
    num_train_steps=400_000,
    log_every_steps=1000,
    sample_every_steps=20_000,
    checkpoint_every_steps=2000,  # 18 MB each (α-GAN); SIGKILL costs at most 2,000 steps, 3-4 min on a core
    data=dict(num_train_examples=100_000),
    model=dict(
        kind='mlp',
        z_dim=2,
        hidden=(400, 400, 400, 400),
        activation='relu',
        norm='batch',
        init_std=0.02,
        discriminator_hidden=(200, 200, 200),
        discriminator_activation='maxout',
        maxout_pieces=5,
    ),
    code_disc_hidden=(200, 200, 200),
)
# Protocols: a published experiment's whole setting (budget, nets, data, optimizer), chosen with the config file's
# argument, `--config=experiments/dcgan_ring8.py:pacgan`; '' is the dataset's own block.
PROTOCOLS = {
    'pacgan': dict(datasets=('ring8', 'grid25'), block=_PACGAN_2D, optimizer=dict(learning_rate=1e-4, b1=0.8)),
}
_IMAGES = dict(
    batch_size=64,
    log_every_steps=500,
    sample_every_steps=5000,
    checkpoint_every_steps=5000,
    code_disc_hidden=(700, 700),
)
# Per dataset: the budget and the nets that every method shares on it, so that tables compare objectives.
DATASETS = {
    'ring8': _TWO_D,
    'grid25': _TWO_D,
    'stacked_mnist': dict(
        batch_size=64,
        num_train_steps=1500,
        sample_every_steps=500,
        checkpoint_every_steps=500,
        model=dict(kind='dcgan', z_dim=100, width=32),
        code_disc_hidden=(700, 700),
    ),
    'cifar10': dict(_IMAGES, num_train_steps=78_000, model=dict(kind='dcgan', z_dim=128, width=64)),
    # The centre 108x108 square resized to 64x64, as carpedm20/DCGAN-tensorflow (data/tfds_images.py).
    'celeb_a': dict(_IMAGES, num_train_steps=100_000, crop=108, model=dict(kind='dcgan', z_dim=128, width=64)),
}


def experiment(
    method: str, dataset: str, optimizer: ml_collections.ConfigDict | None = None, protocol: str = ''
) -> ml_collections.ConfigDict:
    """`base_config()` with `method`, the dataset's `DATASETS` block and, if given, `optimizer` for each of the
    method's networks (`NETWORKS`). A `protocol` (`PROTOCOLS`) replaces the block and the optimizer with a
    published experiment's, and turns the weight average off (the papers evaluate the trained weights)."""
    if dataset not in DATASETS:
        raise ValueError(f'Unknown dataset {dataset!r}; valid choices: {sorted(DATASETS)}.')
    block = dict(DATASETS[dataset])
    if protocol:
        if protocol not in PROTOCOLS or dataset not in PROTOCOLS[protocol]['datasets']:
            valid = sorted(name for name, p in PROTOCOLS.items() if dataset in p['datasets'])
            raise ValueError(f'Unknown protocol {protocol!r} for {dataset}; valid choices: {valid or "none"}.')
        block = dict(PROTOCOLS[protocol]['block'])
        optimizer = adam(b2=0.999, **PROTOCOLS[protocol]['optimizer'])
    config = base_config()
    config.method = method
    config.data.name = dataset
    config.data.update(block.pop('data', {}))
    if 'crop' in block:
        config.data.crop = block.pop('crop')
    model = dict(block.pop('model'))
    code_disc_hidden = block.pop('code_disc_hidden')
    networks = NETWORKS.get(method, ())
    if 'code_discriminator' in networks:
        model['code_disc_hidden'] = code_disc_hidden
    if 'discriminator' in networks and model['kind'] == 'dcgan':
        model['discriminator_width'] = model['width']  # D as large as G: the study's 'veegan' setting
    for key, value in block.items():
        setattr(config, key, value)
    config.model = model
    if method != 'classifier':
        config.ema = ema_section()
        if protocol:
            config.ema.half_life_steps = 0.0
    if optimizer is not None:
        config.optim = each_net(method, optimizer)
    return config


def ema_section() -> ml_collections.ConfigDict:
    """The generator's moving average (aegan/ema.py): StyleGAN2-ADA's half-life of 10,000 images per 32 of batch
    (312.5 steps at any batch) and ramp-up 0.05, the trained generator's BatchNorm statistics (docs/methods.md,
    "Generator EMA")."""
    return ml_collections.ConfigDict({'half_life_steps': 10_000 / 32, 'rampup': 0.05, 'batch_stats': 'raw'})


def each_net(method: str, optimizer: ml_collections.ConfigDict) -> dict:
    """{net: a copy of `optimizer`} for every network of `method`."""
    if method not in NETWORKS:
        raise ValueError(f'Unknown method={method!r}; valid choices: {sorted(NETWORKS)}.')
    return {net: ml_collections.ConfigDict(optimizer.to_dict()) for net in NETWORKS[method]}


def mnist_counter_config() -> ml_collections.ConfigDict:
    """The MNIST classifier that counts Stacked MNIST modes (experiments/classifier_mnist.py; `aegan.eval` trains and
    caches it when no --classifier is given). Recipe measured on the 500 held-out digits (docs/study.md, "The mode
    counter"): augmentation and the cosine decay took it from 95.6% to 98.0%."""
    config = base_config()
    config.method = 'classifier'
    config.data.name = 'mnist'
    config.batch_size = 64
    config.num_train_steps = 6000
    config.sample_every_steps = 6000
    config.checkpoint_every_steps = 2000
    config.model = dict(kind='dcgan', width=32)
    config.classifier = dict(num_classes=10, augment=dict(max_shift=3.0, max_degrees=15.0), ensemble=1)
    config.optim = dict(classifier=adam(1e-3, 0.9, 0.999, 'cosine'))
    return config
