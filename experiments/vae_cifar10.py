"""VAE on CIFAR-10 (32x32), needs the TFDS dataset `cifar10` prepared in data.data_dir.

    python -m aegan.train --config=experiments/vae_cifar10.py --workdir=/tmp/vae_cifar10 \
        --config.data.data_dir=~/tensorflow_datasets

Expected: a GPU-scale run, not run on the CPU dev machine (the dataset cannot be downloaded there).

Gaussian likelihood with fixed scale 0.1 (pixels in [-1, 1]).
Adam 1e-3, betas (0.9, 0.999) as the Flax VAE example.
"""

from aegan.configs import adam, base_config


def get_config():
    config = base_config()
    config.method = 'vae'
    config.data.name = 'cifar10'
    config.batch_size = 64
    config.num_train_steps = 78_000
    config.log_every_steps = 500
    config.sample_every_steps = 5000
    config.checkpoint_every_steps = 5000

    config.model = dict(kind='dcgan', z_dim=128, width=64)
    config.vae = dict(likelihood='gaussian', scale=0.1)
    config.optim = dict(encoder=adam(1e-3, 0.9, 0.999), generator=adam(1e-3, 0.9, 0.999))
    return config
