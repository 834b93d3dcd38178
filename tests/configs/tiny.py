"""Tiny configs for tests: `--config=tests/configs/tiny.py:METHOD,DATASET` (e.g. `alphagan,ring8`)."""

from aegan.configs import adam, base_config

NETS = ('encoder', 'generator', 'discriminator', 'code_discriminator', 'classifier')


def get_config(arg='alphagan,ring8'):
    method, dataset = arg.split(',')
    config = base_config()
    config.method = method
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
    config.optim = {net: adam(1e-3, 0.5, 0.9) for net in NETS}
    config.alphagan = dict(lambda_rec=10.0, generator_steps=2, encoder_loss='paper')
    config.ae = dict(reconstruction='l1')
    config.vae = dict(likelihood='gaussian', scale=0.1)
    config.wgan_gp = dict(gp_weight=10.0, n_critic=2, critic_norm='layer')
    config.aae = dict(reconstruction='l2', prior_std=1.0)
    config.age = dict(mu=10.0, lam=1000.0, generator_steps=2)
    config.classifier = dict(num_classes=10)
    return config
