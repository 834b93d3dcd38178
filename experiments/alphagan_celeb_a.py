"""α-GAN on CelebA 64x64 (centre 108x108 crop, resized), needs the TFDS dataset `celeb_a` in data.data_dir.

    python -m aegan.train --config=experiments/alphagan_celeb_a.py --workdir=/tmp/alphagan_celeb_a \
        --config.data.data_dir=~/tensorflow_datasets

Expected: a GPU-scale run, not run on the CPU dev machine (the dataset cannot be downloaded there).

The paper's values and crop are NOT FOUND (docs/methods.md). Learning rates follow PrateekMunjal's CelebA
config (all 5e-4, batch 64, z 128); betas, lambda and the 2 E+G steps per D step follow victor-shepardson/alpha-GAN.
"""

from aegan.configs import adam, base_config


def get_config():
    config = base_config()
    config.method = 'alphagan'
    config.data.name = 'celeb_a'
    config.data.crop = 108  # centre 108x108 square -> 64x64, as carpedm20/DCGAN-tensorflow (tfds_images.py)
    config.batch_size = 64
    config.num_train_steps = 100_000
    config.log_every_steps = 500
    config.sample_every_steps = 5000
    config.checkpoint_every_steps = 5000

    config.model = dict(kind='dcgan', z_dim=128, width=64, discriminator_width=64, code_disc_hidden=(700, 700))
    config.alphagan = dict(lambda_rec=10.0, generator_steps=2, encoder_loss='paper')  # docs/methods.md, "α-GAN"
    config.optim = dict(
        encoder=adam(5e-4, 0.5, 0.9),
        generator=adam(5e-4, 0.5, 0.9),
        discriminator=adam(5e-4, 0.5, 0.9),
        code_discriminator=adam(5e-4, 0.5, 0.9),
    )
    return config
