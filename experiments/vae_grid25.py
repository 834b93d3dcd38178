"""VAE on the 5x5 grid of Gaussians (PacGAN placements: {-4,-2,0,2,4}^2, std 0.05).

    python -m aegan.train --config=experiments/vae_grid25.py --workdir=/tmp/vae_grid25
    python -m aegan.train --config=experiments/vae_grid25.py:pacgan --workdir=/tmp/vae_grid25_pacgan

Expected: eval/modes and eval/high_quality_fraction in the log; 5 seeds in results/grid25/results.md.
Gaussian likelihood with fixed scale 0.05 (5x the mixture std).
"""

from aegan.configs import adam, experiment


def get_config(protocol=''):
    config = experiment('vae', 'grid25', adam(5e-4, 0.5, 0.9, 'cosine'), protocol)
    config.vae = dict(likelihood='gaussian', scale=0.05)
    return config
