"""AGE on CIFAR-10 (32x32), needs the TFDS dataset `cifar10` prepared in data.data_dir.

    python -m aegan.train --config=experiments/age_cifar10.py --workdir=/tmp/age_cifar10 \
        --config.data.data_dir=~/tensorflow_datasets

Expected: a GPU-scale run, not run on the CPU dev machine (the dataset cannot be downloaded there).

mu 10, lambda 1000, 2 generator updates per encoder update, Adam 2e-4 betas (0.5, 0.999): the official
command line of Ulyanov et al. (CIFAR-10; docs/methods.md). Their lr decay is not implemented.
"""

from aegan.configs import adam, base_config


def get_config():
    config = base_config()
    config.method = 'age'
    config.data.name = 'cifar10'
    config.batch_size = 64
    config.num_train_steps = 117_000
    config.log_every_steps = 500
    config.sample_every_steps = 5000
    config.checkpoint_every_steps = 5000

    config.model = dict(kind='dcgan', z_dim=128, width=64)
    config.age = dict(mu=10.0, lam=1000.0, generator_steps=2)
    config.optim = dict(encoder=adam(2e-4, 0.5, 0.999), generator=adam(2e-4, 0.5, 0.999))
    return config
