"""DCGAN on CIFAR-10 (32x32), needs the TFDS dataset `cifar10` prepared in data.data_dir.

    python -m aegan.train --config=experiments/dcgan_cifar10.py --workdir=/tmp/dcgan_cifar10

Expected: a GPU-scale run (the dataset cannot be downloaded on the CPU dev machine).
Non-saturating loss (Goodfellow et al.; Radford et al. nets).
Adam 2e-4, beta1 0.5 (Radford et al. 2016).
"""

from aegan.configs import adam, experiment


def get_config():
    return experiment('dcgan', 'cifar10', adam(2e-4, 0.5, 0.999))
