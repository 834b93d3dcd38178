"""α-GAN on the ring of 8 Gaussians (PacGAN placements: radius 1, std 0.01).

    python -m aegan.train --config=experiments/alphagan_ring8.py --workdir=/tmp/alphagan_ring8

Expected: about 1 minute on 2 CPU cores; 8/8 modes on 5 of seeds 0-5 (7/8 on seed 4) with ~20% of samples within
3 std (eval/modes and eval/high_quality_fraction in the log, scatter plots in <workdir>/images).

Nets: MLPs with a 2-D N(0, I) prior, as PacGAN's 2D experiments. The α-GAN paper gives no 2D setup; the optimiser
follows victor-shepardson/alpha-GAN (Adam, betas (0.5, 0.9), 2 E+G steps per D and C step). lambda = 1, not 10:
at 3,000 steps lambda = 10 recovered 7-8 modes with only 2-14% of samples within 3 std (benchmarks/README.md).
"""

from aegan.configs import adam, base_config


def get_config():
    config = base_config()
    config.method = 'alphagan'
    config.data.name = 'ring8'
    config.batch_size = 128
    config.num_train_steps = 3000
    config.sample_every_steps = 500
    config.checkpoint_every_steps = 1000

    config.model = dict(kind='mlp', z_dim=2, hidden=(128, 128), code_disc_hidden=(128, 128))
    config.alphagan = dict(lambda_rec=1.0, generator_steps=2, encoder_loss='joint')  # measured better here than 'paper'
    config.optim = dict(
        encoder=adam(5e-4, 0.5, 0.9),
        generator=adam(5e-4, 0.5, 0.9),
        discriminator=adam(5e-4, 0.5, 0.9),
        code_discriminator=adam(5e-4, 0.5, 0.9),
    )
    return config
