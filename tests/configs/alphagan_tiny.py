"""Tiny α-GAN configs for tests: `--config=tests/configs/alphagan_tiny.py:ring8` (or `:stacked_mnist`)."""

from aegan.configs import adam, base_config


def get_config(dataset='ring8'):
    config = base_config()
    config.method = 'alphagan'
    config.data.name = dataset
    config.batch_size = 16
    config.num_train_steps = 40
    config.log_every_steps = 10
    config.sample_every_steps = 1000
    config.checkpoint_every_steps = 10
    config.max_checkpoints_to_keep = 10
    if dataset in ('ring8', 'grid25'):
        config.model = dict(kind='mlp', z_dim=2, hidden=(32, 32), code_disc_hidden=(16,))
    else:
        config.model = dict(kind='dcgan', z_dim=8, width=4, code_disc_hidden=(16,))
    config.alphagan = dict(lambda_rec=10.0, generator_steps=2)
    config.optim = {
        net: adam(1e-3, 0.5, 0.9) for net in ('encoder', 'generator', 'discriminator', 'code_discriminator')
    }
    return config
