"""α-GAN on the 5x5 grid of Gaussians (PacGAN placements: {-4,-2,0,2,4}^2, std 0.05).

    python -m aegan.train --config=experiments/alphagan_grid25.py --workdir=/tmp/alphagan_grid25
    python -m aegan.train --config=experiments/alphagan_grid25.py:pacgan --workdir=/tmp/alphagan_grid25_pacgan

Expected: eval/modes and eval/high_quality_fraction in the log; 5 seeds in results/grid25/results.md.
Nets: MLPs with a 2-D N(0, I) prior, as PacGAN's 2D experiments. The optimiser follows victor-shepardson/alpha-GAN
(Adam, betas (0.5, 0.9), 2 E+G steps per D and C step); lambda = 1 as tuned on the ring (benchmarks/README.md).
"""

from aegan.configs import adam, experiment


def get_config(protocol=''):
    config = experiment('alphagan', 'grid25', adam(5e-4, 0.5, 0.9, 'cosine'), protocol)
    config.alphagan = dict(
        lambda_rec=1.0,
        generator_steps=2,
        encoder_loss='joint',  # as on the ring (measured)
        discriminator_inputs='updated',  # a fresh forward of the updated E and G
    )
    return config
