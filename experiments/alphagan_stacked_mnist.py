"""α-GAN on Stacked MNIST (1,000 modes: three embedded MNIST digits as R, G, B): the study's config and the demo.

    python -m aegan.train --config=experiments/alphagan_stacked_mnist.py --workdir=/tmp/alphagan_stacked_mnist
    python -m aegan.train --config=experiments/alphagan_stacked_mnist.py:demo --workdir=/tmp/aegan_demo  # README

Expected: sample grids in <workdir>/images; 3 seeds in results/stacked_mnist/results.md.
The study's config is PacGAN's VEEGAN setting (batch 64, Adam beta1 0.5, z 100; docs/study.md) with a half-width
DCGAN so that it fits a CPU; λ and 2 E+G steps per D step follow victor-shepardson/alpha-GAN. The full protocol:
model.width=64 and 100,000 steps. `:demo` is the recipe that gives the most readable digits in about 10 minutes of
2 CPU cores (docs/study.md, "What was tried for the demo").
"""

from aegan.configs import adam, experiment


def get_config(variant=''):
    if variant not in ('', 'demo'):
        raise ValueError(f"Unknown variant {variant!r} of alphagan_stacked_mnist; valid choices: ['demo'].")
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
    if variant == 'demo':
        # A 16-d code is far easier for the code discriminator to match to the prior than 100-d (z 100 -> 16 at
        # 1,500 steps: confident 7.8% -> 14.0%), and a batch of 32 costs under half of 64's step on a CPU, so the
        # same minutes buy 10,000 steps (confident 30.7%, seed 0).
        config.model.z_dim = 16
        config.batch_size = 32
        config.num_train_steps = 10_000
        config.checkpoint_every_steps = config.sample_every_steps = 2_000
    return config
