"""WGAN-GP on CelebA 64x64 (centre 108x108 crop, resized), needs the TFDS dataset `celeb_a` in data.data_dir.

    python -m aegan.train --config=experiments/wgan_gp_celeb_a.py --workdir=/tmp/wgan_gp_celeb_a \
        --config.data.data_dir=~/tensorflow_datasets

Expected: a GPU-scale run, not run on the CPU dev machine (the dataset cannot be downloaded there).

lambda 10, 5 critic steps, Adam 1e-4 betas (0.5, 0.9), LayerNorm in the critic instead of BatchNorm
(Gulrajani et al. 2017, §4 and Appendix; BatchNorm breaks the per-example gradient penalty).
"""

from aegan.configs import adam, base_config


def get_config():
    config = base_config()
    config.method = 'wgan_gp'
    config.data.name = 'celeb_a'
    config.data.crop = 108  # centre 108x108 square -> 64x64, as carpedm20/DCGAN-tensorflow (tfds_images.py)
    config.batch_size = 64
    config.num_train_steps = 100_000
    config.log_every_steps = 500
    config.sample_every_steps = 5000
    config.checkpoint_every_steps = 5000

    config.model = dict(kind='dcgan', z_dim=128, width=64, discriminator_width=64)
    config.wgan_gp = dict(gp_weight=10.0, n_critic=5, critic_norm='layer')
    config.optim = dict(generator=adam(1e-4, 0.5, 0.9), discriminator=adam(1e-4, 0.5, 0.9))
    return config
