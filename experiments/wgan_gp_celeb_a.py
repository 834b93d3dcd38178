"""WGAN-GP on CelebA 64x64 (centre 108x108 crop, resized), needs the TFDS dataset `celeb_a` in data.data_dir.

    python -m aegan.train --config=experiments/wgan_gp_celeb_a.py --workdir=/tmp/wgan_gp_celeb_a

Expected: a GPU-scale run (the dataset cannot be downloaded on the CPU dev machine).
lambda 10, 5 critic steps, Adam 1e-4 betas (0.5, 0.9), LayerNorm in the critic instead of BatchNorm
(Gulrajani et al. 2017, §4 and Appendix; BatchNorm breaks the per-example gradient penalty).
"""

from aegan.configs import adam, experiment


def get_config():
    config = experiment('wgan_gp', 'celeb_a', adam(1e-4, 0.5, 0.9))
    config.wgan_gp = dict(gp_weight=10.0, n_critic=5, critic_norm='layer')
    return config
