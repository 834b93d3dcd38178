"""DCGAN (Radford et al. 2016): generator G and discriminator D, non-saturating GAN loss.

One iteration (`dcgan.updates='alternating'`): D on real (label 1) vs G(z) (label 0), then G on -log D(G(z'))
with fresh z' against the updated D. `'simultaneous'` steps both nets from the same z at the same weights, as
PacGAN's code does (ALI's `ali_algorithm`: one gradient of both losses, then both Adam updates).
"""

import jax
import jax.numpy as jnp

from aegan import losses, nets
from aegan.configs import NETWORKS
from aegan.methods import api
from aegan.parallel import DATA_AXIS, normal_rows, pmean

NETS = NETWORKS['dcgan']  # configs.NETWORKS: one optim.<net> block each
UPDATES = ('alternating', 'simultaneous')


def discriminator_loss(d_real, d_fake):
    return losses.bce_real(d_real) + losses.bce_fake(d_fake)


def generator_loss(d_fake):
    """Non-saturating: -E[log D(G(z))] instead of E[log(1 - D(G(z)))] (Goodfellow et al. 2014, §3)."""
    return losses.bce_real(d_fake)


def make(config, data_shape) -> api.Method:
    z_dim = config.model.z_dim
    modules = {
        'generator': nets.generator(config.model, data_shape, DATA_AXIS),
        'discriminator': nets.discriminator(config.model, data_shape, DATA_AXIS),
    }
    optimizers = api.make_optimizers(config, dict.fromkeys(NETS, 1))
    net = api.net_caller(modules)
    updates = config.get('dcgan', {}).get('updates', 'alternating')
    if updates not in UPDATES:
        raise ValueError(f'dcgan.updates={updates!r}; valid choices: {list(UPDATES)}.')

    def init(rng, example_batch):
        return api.init_nets(
            modules, rng, {'generator': jnp.zeros((1, z_dim)), 'discriminator': example_batch}, optimizers
        )

    def update(state, x, rng):
        z = normal_rows(jax.random.fold_in(rng, 0), (x.shape[0], z_dim))
        x_fake = jax.lax.stop_gradient(net(state, 'generator', z)[0])
        d_params_before = state.params['discriminator']

        def d_loss_fn(params):
            d_real, stats = net(state, 'discriminator', x, params)
            d_fake, stats = net(state, 'discriminator', x_fake, params, stats)
            return pmean(discriminator_loss(d_real, d_fake)), ({}, stats)

        state, d_loss, _ = api.update_net(state, 'discriminator', d_loss_fn, optimizers['discriminator'])
        if updates == 'alternating':
            z = normal_rows(jax.random.fold_in(rng, 1), (x.shape[0], z_dim))
        d_params = state.params['discriminator'] if updates == 'alternating' else d_params_before

        def g_loss_fn(params):
            x_gen, stats = net(state, 'generator', z, params)
            d_fake, _ = net(state, 'discriminator', x_gen, d_params)
            return pmean(generator_loss(d_fake)), ({}, stats)

        state, g_loss, _ = api.update_net(state, 'generator', g_loss_fn, optimizers['generator'])
        return state, {'d_loss': d_loss, 'g_loss': g_loss}

    return api.Method(name='dcgan', init=init, update=update, **api.sampling_functions(net, api.normal_prior(z_dim)))
