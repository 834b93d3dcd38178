"""Deterministic autoencoder: encoder E, generator (decoder) G, L1 or L2 reconstruction (`config.ae.reconstruction`).

The baseline that covers every mode by construction but has no prior to sample from: `sample` decodes N(0, I)
codes, which the codes were never asked to match.
"""

import jax.numpy as jnp

from aegan import losses, nets
from aegan.configs import NETWORKS
from aegan.methods import api
from aegan.parallel import DATA_AXIS, pmean

NETS = NETWORKS['ae']  # configs.NETWORKS: one optim.<net> block each
RECONSTRUCTIONS = {'l1': losses.l1, 'l2': losses.l2}


def reconstruction_loss(x, x_rec, kind: str):
    return RECONSTRUCTIONS[kind](x, x_rec)


def make(config, data_shape) -> api.Method:
    kind = config.ae.reconstruction
    if kind not in RECONSTRUCTIONS:
        raise ValueError(f'Unknown ae.reconstruction={kind!r}; valid choices: {sorted(RECONSTRUCTIONS)}.')
    z_dim = config.model.z_dim
    modules = {
        'encoder': nets.encoder(config.model, data_shape, z_dim, DATA_AXIS),
        'generator': nets.generator(config.model, data_shape, DATA_AXIS),
    }
    optimizers = api.make_optimizers(config, dict.fromkeys(NETS, 1))
    net = api.net_caller(modules)

    def init(rng, example_batch):
        return api.init_nets(modules, rng, {'encoder': example_batch, 'generator': jnp.zeros((1, z_dim))}, optimizers)

    def update(state, x, rng):
        del rng  # deterministic

        def loss_fn(params):
            z, stats_e = net(state, 'encoder', x, params['encoder'])
            x_rec, stats_g = net(state, 'generator', z, params['generator'])
            loss = pmean(reconstruction_loss(x, x_rec, kind))
            return loss, ({}, {'encoder': stats_e, 'generator': stats_g})

        state, loss, _ = api.update_nets_jointly(state, NETS, loss_fn, optimizers)
        return state, {f'reconstruction_{kind}': loss}

    return api.Method(
        name='ae', init=init, update=update, **api.sampling_functions(net, api.normal_prior(z_dim), encode=True)
    )
