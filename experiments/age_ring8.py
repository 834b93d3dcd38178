"""AGE on the ring of 8 Gaussians (PacGAN placements: radius 1, std 0.01).

    python -m aegan.train --config=experiments/age_ring8.py --workdir=/tmp/age_ring8
    python -m aegan.train --config=experiments/age_ring8.py:pacgan --workdir=/tmp/age_ring8_pacgan

Expected: eval/modes and eval/high_quality_fraction in the log; 5 seeds in results/ring8/results.md.
mu 10, lambda 1000, 2 generator updates per encoder update, Adam 2e-4 betas (0.5, 0.999): the official
command line of Ulyanov et al. (CIFAR-10; docs/methods.md). Their lr decay is not implemented.
"""

from aegan.configs import adam, experiment


def get_config(protocol=''):
    config = experiment('age', 'ring8', adam(5e-4, 0.5, 0.9, 'cosine'), protocol)
    config.age = dict(mu=10.0, lam=1000.0, generator_steps=2)
    return config
