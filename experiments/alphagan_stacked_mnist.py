"""α-GAN on Stacked MNIST (1,000 modes: three embedded MNIST digits as R, G, B) — the README demo.

    python -m aegan.train --config=experiments/alphagan_stacked_mnist.py --workdir=/tmp/alphagan_stacked_mnist

Expected: sample grids in <workdir>/images; 3 seeds in results/stacked_mnist/results.md.
PacGAN's VEEGAN setting (batch 64, Adam beta1 0.5, z 100; docs/study.md) with a half-width DCGAN so that the demo
fits a CPU; λ and 2 E+G steps per D step follow victor-shepardson/alpha-GAN. The full protocol: model.width=64 and
100,000 steps.
"""

from aegan.configs import adam, experiment


def get_config():
    # 1e-3, not PacGAN's 2e-4: within 1,500 steps it gave 990 modes / KL 0.34 against 920 / 1.04 (5e-4: 979 / 0.65;
    # seed 0, D = G; docs/study.md, "What was tried for α-GAN on Stacked MNIST").
    config = experiment('alphagan', 'stacked_mnist', adam(1e-3, 0.5, 0.999))
    # docs/methods.md, "α-GAN"
    config.alphagan = dict(
        lambda_rec=10.0,
        generator_steps=2,
        encoder_loss='paper',
        discriminator_inputs='updated',  # a fresh forward of the updated E and G
    )
    return config
