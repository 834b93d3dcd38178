"""WGAN-GP on the 5x5 grid of Gaussians (PacGAN placements: {-4,-2,0,2,4}^2, std 0.05).

    python -m aegan.train --config=experiments/wgan_gp_grid25.py --workdir=/tmp/wgan_gp_grid25
    python -m aegan.train --config=experiments/wgan_gp_grid25.py:pacgan --workdir=/tmp/wgan_gp_grid25_pacgan

Expected: eval/modes and eval/high_quality_fraction in the log; 5 seeds in results/grid25/results.md.
gp_weight 0.1 and 5 critic steps follow gan_toy.py of Gulrajani et al. (their toy setting).
"""

from aegan.configs import adam, experiment


def get_config(protocol=''):
    config = experiment('wgan_gp', 'grid25', adam(5e-4, 0.5, 0.9, 'cosine'), protocol)
    config.wgan_gp = dict(gp_weight=0.1, n_critic=5, critic_norm='none')
    return config
