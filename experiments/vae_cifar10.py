"""VAE on CIFAR-10 (32x32), needs the TFDS dataset `cifar10` prepared in data.data_dir.

    python -m aegan.train --config=experiments/vae_cifar10.py --workdir=/tmp/vae_cifar10

Expected: a GPU-scale run (the dataset cannot be downloaded on the CPU dev machine).
Gaussian likelihood with fixed scale 0.1 (pixels in [-1, 1]).
Adam 1e-3, betas (0.9, 0.999) as the Flax VAE example.
"""

from aegan.configs import adam, experiment


def get_config():
    config = experiment('vae', 'cifar10', adam(1e-3, 0.9, 0.999))
    config.vae = dict(likelihood='gaussian', scale=0.1)
    return config
