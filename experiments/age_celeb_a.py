"""AGE on CelebA 64x64 (centre 108x108 crop, resized), needs the TFDS dataset `celeb_a` in data.data_dir.

    python -m aegan.train --config=experiments/age_celeb_a.py --workdir=/tmp/age_celeb_a \
        --config.data.data_dir=~/tensorflow_datasets

Expected: a GPU-scale run, not run on the CPU dev machine (the dataset cannot be downloaded there).

mu 10, lambda 1000, 3 generator updates per encoder update, Adam 2e-4 betas (0.5, 0.999): the official
command line of Ulyanov et al. (CelebA; docs/methods.md). Their lr decay is not implemented.
"""

from aegan.configs import adam, base_config


def get_config():
    config = base_config()
    config.method = 'age'
    config.data.name = 'celeb_a'
    config.data.crop = 108  # centre 108x108 square -> 64x64, as carpedm20/DCGAN-tensorflow (tfds_images.py)
    config.batch_size = 64
    config.num_train_steps = 12_700
    config.log_every_steps = 500
    config.sample_every_steps = 5000
    config.checkpoint_every_steps = 5000

    config.model = dict(kind='dcgan', z_dim=64, width=64)
    config.age = dict(mu=10.0, lam=1000.0, generator_steps=3)
    config.optim = dict(encoder=adam(2e-4, 0.5, 0.999), generator=adam(2e-4, 0.5, 0.999))
    return config
