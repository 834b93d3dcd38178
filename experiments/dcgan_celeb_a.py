"""DCGAN on CelebA 64x64 (centre 108x108 crop, resized), needs the TFDS dataset `celeb_a` in data.data_dir.

    python -m aegan.train --config=experiments/dcgan_celeb_a.py --workdir=/tmp/dcgan_celeb_a \
        --config.data.data_dir=~/tensorflow_datasets

Expected: a GPU-scale run, not run on the CPU dev machine (the dataset cannot be downloaded there).

Non-saturating loss (Goodfellow et al.; Radford et al. nets).
Adam 2e-4, beta1 0.5 (Radford et al. 2016).
"""

from aegan.configs import adam, base_config


def get_config():
    config = base_config()
    config.method = 'dcgan'
    config.data.name = 'celeb_a'
    config.data.crop = 108  # centre 108x108 square -> 64x64, as carpedm20/DCGAN-tensorflow (tfds_images.py)
    config.batch_size = 64
    config.num_train_steps = 100_000
    config.log_every_steps = 500
    config.sample_every_steps = 5000
    config.checkpoint_every_steps = 5000

    config.model = dict(kind='dcgan', z_dim=128, width=64, discriminator_width=64)
    config.optim = dict(generator=adam(2e-4, 0.5, 0.999), discriminator=adam(2e-4, 0.5, 0.999))
    return config
