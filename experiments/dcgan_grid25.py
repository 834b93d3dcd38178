"""DCGAN on the 5x5 grid of Gaussians (PacGAN placements: {-4,-2,0,2,4}^2, std 0.05).

    python -m aegan.train --config=experiments/dcgan_grid25.py --workdir=/tmp/dcgan_grid25
    python -m aegan.train --config=experiments/dcgan_grid25.py:pacgan --workdir=/tmp/dcgan_grid25_pacgan

Expected: eval/modes and eval/high_quality_fraction in the log; 5 seeds in results/grid25/results.md.
Non-saturating loss (Goodfellow et al.; Radford et al. nets).
"""

from aegan.configs import adam, experiment


def get_config(protocol=''):
    config = experiment('dcgan', 'grid25', adam(5e-4, 0.5, 0.9, 'cosine'), protocol)
    # PacGAN's code steps D and G together, from one forward pass at the same weights (ALI's `ali_algorithm`).
    config.dcgan = dict(updates='simultaneous' if protocol == 'pacgan' else 'alternating')
    return config
