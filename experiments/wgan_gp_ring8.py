"""WGAN-GP on the ring of 8 Gaussians (PacGAN placements: radius 1, std 0.01).

    python -m aegan.train --config=experiments/wgan_gp_ring8.py --workdir=/tmp/wgan_gp_ring8
    python -m aegan.train --config=experiments/wgan_gp_ring8.py:pacgan --workdir=/tmp/wgan_gp_ring8_pacgan

Expected: eval/modes and eval/high_quality_fraction in the log; 5 seeds in results/ring8/results.md.
gp_weight 0.1 and 5 critic steps follow gan_toy.py of Gulrajani et al. (their toy setting).
"""

from aegan.configs import adam, experiment


def get_config(protocol=''):
    config = experiment('wgan_gp', 'ring8', adam(5e-4, 0.5, 0.9, 'cosine'), protocol)
    config.wgan_gp = dict(gp_weight=0.1, n_critic=5, critic_norm='none')
    return config
