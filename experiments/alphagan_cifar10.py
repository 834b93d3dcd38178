"""α-GAN on CIFAR-10 (32x32), needs the TFDS dataset `cifar10` prepared in data.data_dir.

    python -m aegan.train --config=experiments/alphagan_cifar10.py --workdir=/tmp/alphagan_cifar10

Expected: a GPU-scale run (the dataset cannot be downloaded on the CPU dev machine).
The paper's own values are NOT FOUND (docs/methods.md); these follow victor-shepardson/alpha-GAN's CIFAR
notebook: Adam 8e-4, betas (0.5, 0.9), batch 64, z 128, lambda 40, 2 E+G steps per D and C step, code
discriminator MLP 700-700 without BatchNorm. 100 epochs as PrateekMunjal's CIFAR config (78k steps).
"""

from aegan.configs import adam, experiment


def get_config():
    config = experiment('alphagan', 'cifar10', adam(8e-4, 0.5, 0.9))
    # docs/methods.md, "α-GAN"
    config.alphagan = dict(
        lambda_rec=40.0,
        generator_steps=2,
        encoder_loss='paper',
        discriminator_inputs='updated',  # a fresh forward of the updated E and G
    )
    return config
