"""AGE on CIFAR-10 (32x32), needs the TFDS dataset `cifar10` prepared in data.data_dir.

    python -m aegan.train --config=experiments/age_cifar10.py --workdir=/tmp/age_cifar10

Expected: a GPU-scale run (the dataset cannot be downloaded on the CPU dev machine).
mu 10, lambda 1000, 2 generator updates per encoder update, Adam 2e-4 betas (0.5, 0.999): the official
command line of Ulyanov et al. (CIFAR-10; docs/methods.md). Their lr decay is not implemented.
"""

from aegan.configs import adam, experiment


def get_config():
    config = experiment('age', 'cifar10', adam(2e-4, 0.5, 0.999))
    config.num_train_steps = 117_000
    config.age = dict(mu=10.0, lam=1000.0, generator_steps=2)
    return config
