"""AGE on the 5x5 grid of Gaussians (PacGAN placements: {-4,-2,0,2,4}^2, std 0.05).

    python -m aegan.train --config=experiments/age_grid25.py --workdir=/tmp/age_grid25
    python -m aegan.train --config=experiments/age_grid25.py:pacgan --workdir=/tmp/age_grid25_pacgan

Expected: eval/modes and eval/high_quality_fraction in the log; 5 seeds in results/grid25/results.md.
mu 10, lambda 1000, 2 generator updates per encoder update, Adam 2e-4 betas (0.5, 0.999): the official
command line of Ulyanov et al. (CIFAR-10; docs/methods.md). Their lr decay is not implemented.
"""

from aegan.configs import adam, experiment


def get_config(protocol=''):
    config = experiment('age', 'grid25', adam(5e-4, 0.5, 0.9, 'cosine'), protocol)
    config.age = dict(mu=10.0, lam=1000.0, generator_steps=2)
    return config
