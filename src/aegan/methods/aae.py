"""Adversarial autoencoder (Makhzani et al. 2015): an autoencoder whose codes are pushed to the prior by a code
discriminator C. Three sequential updates per iteration (docs/methods.md):
  1. reconstruction: E and G on the reconstruction error (`config.aae.reconstruction`, L2 in the paper);
  2. regularisation, discriminator: C with prior codes -> 1, E(x) -> 0;
  3. regularisation, "generator" = encoder: E on -log C(E(x)) (non-saturating).
The prior is N(0, prior_std^2 I) (`config.aae.prior_std`).
"""

import jax
import jax.numpy as jnp

from aegan import losses, nets
from aegan.configs import NETWORKS
from aegan.methods import api
from aegan.methods.ae import RECONSTRUCTIONS, reconstruction_loss
from aegan.parallel import DATA_AXIS, normal_rows, pmean

NETS = NETWORKS['aae']  # configs.NETWORKS: one optim.<net> block each


def code_discriminator_loss(c_prior, c_code):
    return losses.bce_real(c_prior) + losses.bce_fake(c_code)


def encoder_adversarial_loss(c_code):
    return losses.bce_real(c_code)


def make(config, data_shape) -> api.Method:
    kind, prior_std = config.aae.reconstruction, config.aae.prior_std
    if kind not in RECONSTRUCTIONS:
        raise ValueError(f'Unknown aae.reconstruction={kind!r}; valid choices: {sorted(RECONSTRUCTIONS)}.')
    if not prior_std > 0:
        raise ValueError(f'aae.prior_std={prior_std} must be > 0.')
    z_dim = config.model.z_dim
    modules = {
        'encoder': nets.encoder(config.model, data_shape, z_dim, DATA_AXIS),
        'generator': nets.generator(config.model, data_shape, DATA_AXIS),
        'code_discriminator': nets.code_discriminator(config.model),
    }
    optimizers = api.make_optimizers(config, dict.fromkeys(NETS, 1))
    net = api.net_caller(modules)

    def init(rng, example_batch):
        codes = jnp.zeros((1, z_dim))
        inputs = {'encoder': example_batch, 'generator': codes, 'code_discriminator': codes}
        return api.init_nets(modules, rng, inputs, optimizers)

    def update(state, x, rng):
        # 1. Reconstruction phase.
        def rec_loss_fn(params):
            z, stats_e = net(state, 'encoder', x, params['encoder'])
            x_rec, stats_g = net(state, 'generator', z, params['generator'])
            return pmean(reconstruction_loss(x, x_rec, kind)), ({}, {'encoder': stats_e, 'generator': stats_g})

        state, rec_loss, _ = api.update_nets_jointly(state, ('encoder', 'generator'), rec_loss_fn, optimizers)

        # 2. Regularisation phase, code discriminator.
        z_prior = prior_std * normal_rows(rng, (x.shape[0], z_dim))
        codes = jax.lax.stop_gradient(net(state, 'encoder', x)[0])

        def c_loss_fn(params):
            c_prior, _ = net(state, 'code_discriminator', z_prior, params)
            c_code, _ = net(state, 'code_discriminator', codes, params)
            return pmean(code_discriminator_loss(c_prior, c_code)), ({}, None)

        state, c_loss, _ = api.update_net(state, 'code_discriminator', c_loss_fn, optimizers['code_discriminator'])

        # 3. Regularisation phase, encoder as the codes' generator.
        def e_loss_fn(params):
            z, stats_e = net(state, 'encoder', x, params)
            return pmean(encoder_adversarial_loss(net(state, 'code_discriminator', z)[0])), ({}, stats_e)

        state, e_loss, _ = api.update_net(state, 'encoder', e_loss_fn, optimizers['encoder'])
        metrics = {f'reconstruction_{kind}': rec_loss, 'c_loss': c_loss, 'e_loss_code': e_loss}
        return state, metrics

    return api.Method(
        name='aae',
        init=init,
        update=update,
        **api.sampling_functions(net, api.normal_prior(z_dim, prior_std), encode=True),
    )
