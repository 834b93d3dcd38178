"""Autoencoder on the 5x5 grid of Gaussians (PacGAN placements: {-4,-2,0,2,4}^2, std 0.05).

    python -m aegan.train --config=experiments/ae_grid25.py --workdir=/tmp/ae_grid25
    python -m aegan.train --config=experiments/ae_grid25.py:pacgan --workdir=/tmp/ae_grid25_pacgan

Expected: eval/modes and eval/high_quality_fraction in the log; 5 seeds in results/grid25/results.md.
L1 reconstruction as in alpha-GAN, so the AE is alpha-GAN without its discriminators.
"""

from aegan.configs import adam, experiment


def get_config(protocol=''):
    config = experiment('ae', 'grid25', adam(5e-4, 0.5, 0.9, 'cosine'), protocol)
    config.ae = dict(reconstruction='l1')
    return config
