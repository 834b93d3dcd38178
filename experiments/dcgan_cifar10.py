"""DCGAN on CIFAR-10 (32x32), needs the TFDS dataset `cifar10` prepared in data.data_dir.

    python -m aegan.train --config=experiments/dcgan_cifar10.py --workdir=/tmp/dcgan_cifar10 \
        --config.data.data_dir=~/tensorflow_datasets

Expected: a GPU-scale run, not run on the CPU dev machine (the dataset cannot be downloaded there).

Non-saturating loss (Goodfellow et al.; Radford et al. nets).
Adam 2e-4, beta1 0.5 (Radford et al. 2016).
"""

from aegan.configs import adam, base_config


def get_config():
    config = base_config()
    config.method = 'dcgan'
    config.data.name = 'cifar10'
    config.batch_size = 64
    config.num_train_steps = 78_000
    config.log_every_steps = 500
    config.sample_every_steps = 5000
    config.checkpoint_every_steps = 5000

    config.model = dict(kind='dcgan', z_dim=128, width=64, discriminator_width=64)
    config.optim = dict(generator=adam(2e-4, 0.5, 0.999), discriminator=adam(2e-4, 0.5, 0.999))
    return config
