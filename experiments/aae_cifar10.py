"""Adversarial autoencoder on CIFAR-10 (32x32), needs the TFDS dataset `cifar10` prepared in data.data_dir.

    python -m aegan.train --config=experiments/aae_cifar10.py --workdir=/tmp/aae_cifar10 \
        --config.data.data_dir=~/tensorflow_datasets

Expected: a GPU-scale run, not run on the CPU dev machine (the dataset cannot be downloaded there).

L2 reconstruction and the three-phase update (reconstruction, C, E) of Makhzani et al. (docs/
methods.md); prior N(0, I) and the code discriminator of alpha-GAN (MLP, no BatchNorm).
Adam 2e-4, beta1 0.5 as DCGAN (the AAE paper gives no conv-net setting).
"""

from aegan.configs import adam, base_config


def get_config():
    config = base_config()
    config.method = 'aae'
    config.data.name = 'cifar10'
    config.batch_size = 64
    config.num_train_steps = 78_000
    config.log_every_steps = 500
    config.sample_every_steps = 5000
    config.checkpoint_every_steps = 5000

    config.model = dict(kind='dcgan', z_dim=128, width=64, code_disc_hidden=(700, 700))
    config.aae = dict(reconstruction='l2', prior_std=1.0)
    config.optim = dict(
        encoder=adam(2e-4, 0.5, 0.999), generator=adam(2e-4, 0.5, 0.999), code_discriminator=adam(2e-4, 0.5, 0.999)
    )
    return config
