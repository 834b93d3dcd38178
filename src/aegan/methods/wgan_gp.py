"""WGAN-GP (Gulrajani et al. 2017): critic D without BatchNorm, Wasserstein loss plus a gradient penalty.

One iteration: `n_critic` critic updates (each with fresh z and interpolation weights on the step's real batch),
then one generator update. Critic: E[D(G(z))] - E[D(x)] + lambda * E[(||grad D(x_hat)||_2 - 1)^2], x_hat on
lines between real and fake examples (eq. 3; lambda = 10, n_critic = 5 in the paper). Generator: -E[D(G(z))].
The paper draws a new real batch per critic update; here the n_critic updates share the step's batch, so the
batch is a pure function of the step like every other method's.
"""

import jax
import jax.numpy as jnp

from aegan import losses, nets
from aegan.configs import NETWORKS
from aegan.methods import api
from aegan.parallel import DATA_AXIS, normal_rows, pmean, uniform_rows

NETS = NETWORKS['wgan_gp']  # configs.NETWORKS: one optim.<net> block each


def critic_loss(d_real, d_fake, penalty, gp_weight):
    return losses.wasserstein_critic(d_real, d_fake) + gp_weight * penalty


def make(config, data_shape) -> api.Method:
    gp_weight, n_critic = config.wgan_gp.gp_weight, config.wgan_gp.n_critic
    if not gp_weight >= 0:
        raise ValueError(f'wgan_gp.gp_weight={gp_weight} must be >= 0.')
    if not (isinstance(n_critic, int) and n_critic >= 1):
        raise ValueError(f'wgan_gp.n_critic={n_critic} must be an integer >= 1.')
    z_dim = config.model.z_dim
    modules = {
        'generator': nets.generator(config.model, data_shape, DATA_AXIS),
        'discriminator': nets.discriminator(config.model, data_shape, DATA_AXIS, norm=config.wgan_gp.critic_norm),
    }
    if config.wgan_gp.critic_norm == 'batch':
        raise ValueError("wgan_gp.critic_norm='batch' breaks the per-example gradient penalty; use 'none' or 'layer'.")
    optimizers = api.make_optimizers(config, {'generator': 1, 'discriminator': n_critic})
    net = api.net_caller(modules)

    def init(rng, example_batch):
        return api.init_nets(
            modules, rng, {'generator': jnp.zeros((1, z_dim)), 'discriminator': example_batch}, optimizers
        )

    def critic_step(state, x, rng):
        z = normal_rows(jax.random.fold_in(rng, 0), (x.shape[0], z_dim))
        x_fake = jax.lax.stop_gradient(net(state, 'generator', z)[0])
        alpha = uniform_rows(jax.random.fold_in(rng, 1), (x.shape[0],) + (1,) * (x.ndim - 1))
        x_hat = alpha * x + (1 - alpha) * x_fake

        def loss_fn(params):
            critic = lambda inputs: net(state, 'discriminator', inputs, params)[0]  # noqa: E731
            penalty = losses.gradient_penalty(critic, x_hat)
            loss = critic_loss(critic(x), critic(x_fake), penalty, gp_weight)
            return pmean(loss), ({'gradient_penalty': pmean(penalty)}, None)

        return api.update_net(state, 'discriminator', loss_fn, optimizers['discriminator'])

    def update(state, x, rng):
        for i in range(n_critic):
            state, d_loss, metrics = critic_step(state, x, jax.random.fold_in(rng, i))
        z = normal_rows(jax.random.fold_in(rng, n_critic), (x.shape[0], z_dim))

        def g_loss_fn(params):
            x_gen, stats = net(state, 'generator', z, params)
            return pmean(-jnp.mean(net(state, 'discriminator', x_gen)[0])), ({}, stats)

        state, g_loss, _ = api.update_net(state, 'generator', g_loss_fn, optimizers['generator'])
        return state, {'critic_loss': d_loss, 'g_loss': g_loss, **metrics}

    return api.Method(name='wgan_gp', init=init, update=update, **api.sampling_functions(net, api.normal_prior(z_dim)))
