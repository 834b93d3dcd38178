"""α-GAN on the ring of 8 Gaussians (PacGAN placements: radius 1, std 0.01).

    python -m aegan.train --config=experiments/alphagan_ring8.py --workdir=/tmp/alphagan_ring8

Expected: 8/8 modes (eval/modes and eval/high_quality_fraction in the log, scatter plots in <workdir>/images); wall
time and the numbers of seeds 0-4: results/ring8/results.md. The learning rates decay to 0 along a cosine over the
10,000 steps: on seeds 0-1, 3,000 constant-rate steps gave 28% of samples within 3 std, 10,000 gave 38%, 10,000
with the decay 69% and 20,000 with the decay 78% (docs/study.md, "Budgets").

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
    config.num_train_steps = 10_000
    config.sample_every_steps = 2000
    config.checkpoint_every_steps = 2000

    config.model = dict(kind='mlp', z_dim=2, hidden=(128, 128), code_disc_hidden=(128, 128))
    config.alphagan = dict(lambda_rec=1.0, generator_steps=2, encoder_loss='joint')  # measured better here than 'paper'
    config.optim = dict(
        encoder=adam(5e-4, 0.5, 0.9, 'cosine'),
        generator=adam(5e-4, 0.5, 0.9, 'cosine'),
        discriminator=adam(5e-4, 0.5, 0.9, 'cosine'),
        code_discriminator=adam(5e-4, 0.5, 0.9, 'cosine'),
    )
    return config
