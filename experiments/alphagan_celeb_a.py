"""α-GAN on CelebA 64x64 (centre 108x108 crop, resized), needs the TFDS dataset `celeb_a` in data.data_dir.

    python -m aegan.train --config=experiments/alphagan_celeb_a.py --workdir=/tmp/alphagan_celeb_a

Expected: a GPU-scale run (the dataset cannot be downloaded on the CPU dev machine).
The paper's values and crop are NOT FOUND (docs/methods.md). Learning rates follow PrateekMunjal's CelebA
config (all 5e-4, batch 64, z 128); betas, lambda and the 2 E+G steps per D step follow victor-shepardson/alpha-GAN.
"""

from aegan.configs import adam, experiment


def get_config():
    config = experiment('alphagan', 'celeb_a', adam(5e-4, 0.5, 0.9))
    # docs/methods.md, "α-GAN"
    config.alphagan = dict(
        lambda_rec=10.0,
        generator_steps=2,
        encoder_loss='paper',
        discriminator_inputs='updated',  # a fresh forward of the updated E and G
    )
    return config
