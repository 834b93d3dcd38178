"""α-GAN on the 5x5 grid of Gaussians (PacGAN placements: {-4,-2,0,2,4}^2, std 0.05).

    python -m aegan.train --config=experiments/alphagan_grid25.py --workdir=/tmp/alphagan_grid25

Expected: eval/modes in the log, scatter plots in <workdir>/images; wall time and the numbers of seeds 0-4:
results/grid25/results.md. Same budget and cosine learning-rate decay as alphagan_ring8 (not tuned on the grid).

Nets: MLPs with a 2-D N(0, I) prior, as PacGAN's 2D experiments. The optimiser follows victor-shepardson/alpha-GAN
(Adam, betas (0.5, 0.9), 2 E+G steps per D and C step); lambda = 1 as tuned on the ring (benchmarks/README.md).
"""

from aegan.configs import adam, base_config


def get_config():
    config = base_config()
    config.method = 'alphagan'
    config.data.name = 'grid25'
    config.batch_size = 128
    config.num_train_steps = 10_000
    config.sample_every_steps = 2000
    config.checkpoint_every_steps = 2000

    config.model = dict(kind='mlp', z_dim=2, hidden=(128, 128), code_disc_hidden=(128, 128))
    config.alphagan = dict(lambda_rec=1.0, generator_steps=2, encoder_loss='joint')  # as on the ring (measured)
    config.optim = dict(
        encoder=adam(5e-4, 0.5, 0.9, 'cosine'),
        generator=adam(5e-4, 0.5, 0.9, 'cosine'),
        discriminator=adam(5e-4, 0.5, 0.9, 'cosine'),
        code_discriminator=adam(5e-4, 0.5, 0.9, 'cosine'),
    )
    return config
