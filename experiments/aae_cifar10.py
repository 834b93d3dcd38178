"""Adversarial autoencoder on CIFAR-10 (32x32), needs the TFDS dataset `cifar10` prepared in data.data_dir.

    python -m aegan.train --config=experiments/aae_cifar10.py --workdir=/tmp/aae_cifar10

Expected: a GPU-scale run (the dataset cannot be downloaded on the CPU dev machine).
L2 reconstruction and the three-phase update (reconstruction, C, E) of Makhzani et al. (docs/
methods.md); prior N(0, I) and the code discriminator of alpha-GAN (MLP, no BatchNorm).
Adam 2e-4, beta1 0.5 as DCGAN (the AAE paper gives no conv-net setting).
"""

from aegan.configs import adam, experiment


def get_config():
    config = experiment('aae', 'cifar10', adam(2e-4, 0.5, 0.999))
    config.aae = dict(reconstruction='l2', prior_std=1.0)
    return config
