"""Autoencoder on CIFAR-10 (32x32), needs the TFDS dataset `cifar10` prepared in data.data_dir.

    python -m aegan.train --config=experiments/ae_cifar10.py --workdir=/tmp/ae_cifar10

Expected: a GPU-scale run (the dataset cannot be downloaded on the CPU dev machine).
L1 reconstruction as in alpha-GAN, so the AE is alpha-GAN without its discriminators.
Adam 1e-3, betas (0.9, 0.999) as the Flax VAE example.
"""

from aegan.configs import adam, experiment


def get_config():
    config = experiment('ae', 'cifar10', adam(1e-3, 0.9, 0.999))
    config.ae = dict(reconstruction='l1')
    return config
