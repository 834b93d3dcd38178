"""VAE on CelebA 64x64 (centre 108x108 crop, resized), needs the TFDS dataset `celeb_a` in data.data_dir.

    python -m aegan.train --config=experiments/vae_celeb_a.py --workdir=/tmp/vae_celeb_a \
        --config.data.data_dir=~/tensorflow_datasets

Expected: a GPU-scale run, not run on the CPU dev machine (the dataset cannot be downloaded there).

Gaussian likelihood with fixed scale 0.1 (pixels in [-1, 1]).
Adam 1e-3, betas (0.9, 0.999) as the Flax VAE example.
"""

from aegan.configs import adam, base_config


def get_config():
    config = base_config()
    config.method = 'vae'
    config.data.name = 'celeb_a'
    config.data.crop = 108  # centre 108x108 square -> 64x64, as carpedm20/DCGAN-tensorflow (tfds_images.py)
    config.batch_size = 64
    config.num_train_steps = 100_000
    config.log_every_steps = 500
    config.sample_every_steps = 5000
    config.checkpoint_every_steps = 5000

    config.model = dict(kind='dcgan', z_dim=128, width=64)
    config.vae = dict(likelihood='gaussian', scale=0.1)
    config.optim = dict(encoder=adam(1e-3, 0.9, 0.999), generator=adam(1e-3, 0.9, 0.999))
    return config
