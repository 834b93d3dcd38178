"""VAE (Kingma & Welling 2014): Gaussian encoder q(z|x) = N(mu, sigma^2), reparameterised sample, analytic KL to
N(0, I), Gaussian or Laplace likelihood with a fixed scale (`config.vae.likelihood`, `config.vae.scale`).

Loss = -ELBO = E_q[-log p(x|z)] + KL(q(z|x) || p(z)) per example, in nats (docs/methods.md).
"""

import jax.numpy as jnp

from aegan import losses, nets
from aegan.configs import NETWORKS
from aegan.methods import api
from aegan.parallel import DATA_AXIS, normal_rows, pmean

NETS = NETWORKS['vae']  # configs.NETWORKS: one optim.<net> block each
LIKELIHOODS = {'gaussian': losses.gaussian_nll, 'laplace': losses.laplace_nll}


def negative_elbo(x, x_mean, mean, log_var, likelihood: str, scale: float):
    """Returns (mean -ELBO, terms) in nats per example."""
    nll = LIKELIHOODS[likelihood](x, x_mean, scale)
    kl = losses.gaussian_kl(mean, log_var)
    return jnp.mean(nll + kl), {'nll': jnp.mean(nll), 'kl': jnp.mean(kl)}


def make(config, data_shape) -> api.Method:
    likelihood, scale = config.vae.likelihood, config.vae.scale
    if likelihood not in LIKELIHOODS:
        raise ValueError(f'Unknown vae.likelihood={likelihood!r}; valid choices: {sorted(LIKELIHOODS)}.')
    if not scale > 0:
        raise ValueError(f'vae.scale={scale} must be > 0.')
    z_dim = config.model.z_dim
    modules = {
        'encoder': nets.encoder(config.model, data_shape, 2 * z_dim, DATA_AXIS),
        'generator': nets.generator(config.model, data_shape, DATA_AXIS),
    }
    optimizers = api.make_optimizers(config, dict.fromkeys(NETS, 1))
    net = api.net_caller(modules)

    def init(rng, example_batch):
        return api.init_nets(modules, rng, {'encoder': example_batch, 'generator': jnp.zeros((1, z_dim))}, optimizers)

    def update(state, x, rng):
        eps = normal_rows(rng, (x.shape[0], z_dim))

        def loss_fn(params):
            moments, stats_e = net(state, 'encoder', x, params['encoder'])
            mean, log_var = jnp.split(moments, 2, axis=-1)
            z = mean + jnp.exp(0.5 * log_var) * eps  # reparameterisation
            x_mean, stats_g = net(state, 'generator', z, params['generator'])
            loss, terms = negative_elbo(x, x_mean, mean, log_var, likelihood, scale)
            return pmean(loss), (pmean(terms), {'encoder': stats_e, 'generator': stats_g})

        state, loss, terms = api.update_nets_jointly(state, NETS, loss_fn, optimizers)
        return state, {'elbo_nats': -loss, **terms}

    def encode(state, x):
        return jnp.split(net(state, 'encoder', x, train=False)[0], 2, axis=-1)[0]

    return api.Method(
        name='vae', init=init, update=update, **api.sampling_functions(net, api.normal_prior(z_dim), encode)
    )
