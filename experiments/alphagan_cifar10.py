"""α-GAN on CIFAR-10 (32x32), needs the TFDS dataset `cifar10` prepared in data.data_dir.

    python -m aegan.train --config=experiments/alphagan_cifar10.py --workdir=/tmp/alphagan_cifar10 \
        --config.data.data_dir=~/tensorflow_datasets

Expected: a GPU-scale run, not run on the CPU dev machine (the dataset cannot be downloaded there); CPU step
time in benchmarks/README.md.

The paper's own values are NOT FOUND (docs/methods.md); these follow victor-shepardson/alpha-GAN's CIFAR
notebook: Adam 8e-4, betas (0.5, 0.9), batch 64, z 128, lambda 40, 2 E+G steps per D and C step, code
discriminator MLP 700-700 without BatchNorm. 100 epochs as PrateekMunjal's CIFAR config (78k steps).
"""

from aegan.configs import adam, base_config


def get_config():
    config = base_config()
    config.method = 'alphagan'
    config.data.name = 'cifar10'
    config.batch_size = 64
    config.num_train_steps = 78_000
    config.log_every_steps = 500
    config.sample_every_steps = 5000
    config.checkpoint_every_steps = 5000

    config.model = dict(kind='dcgan', z_dim=128, width=64, discriminator_width=64, code_disc_hidden=(700, 700))
    config.alphagan = dict(lambda_rec=40.0, generator_steps=2, encoder_loss='paper')  # docs/methods.md, "α-GAN"
    config.optim = dict(
        encoder=adam(8e-4, 0.5, 0.9),
        generator=adam(8e-4, 0.5, 0.9),
        discriminator=adam(8e-4, 0.5, 0.9),
        code_discriminator=adam(8e-4, 0.5, 0.9),
    )
    return config
