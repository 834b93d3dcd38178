"""α-GAN on the ring of 8 Gaussians (PacGAN placements: radius 1, std 0.01).

    python -m aegan.train --config=experiments/alphagan_ring8.py --workdir=/tmp/alphagan_ring8
    python -m aegan.train --config=experiments/alphagan_ring8.py:pacgan --workdir=/tmp/alphagan_ring8_pacgan

Expected: eval/modes and eval/high_quality_fraction in the log; 5 seeds in results/ring8/results.md.
Nets: MLPs with a 2-D N(0, I) prior, as PacGAN's 2D experiments. The α-GAN paper gives no 2D setup; the optimiser
follows victor-shepardson/alpha-GAN (Adam, betas (0.5, 0.9), 2 E+G steps per D and C step). lambda = 1, not 10:
at 3,000 steps lambda = 10 recovered 7-8 modes with only 2-14% of samples within 3 std (benchmarks/README.md).
"""

from aegan.configs import adam, experiment


def get_config(protocol=''):
    config = experiment('alphagan', 'ring8', adam(5e-4, 0.5, 0.9, 'cosine'), protocol)
    config.alphagan = dict(
        lambda_rec=1.0,
        generator_steps=2,
        encoder_loss='joint',  # measured better here than 'paper'
        discriminator_inputs='updated',  # a fresh forward of the updated E and G
    )
    return config
