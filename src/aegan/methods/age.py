"""AGE, Adversarial Generator-Encoder networks (Ulyanov, Vedaldi, Lempitsky 2018): no discriminator; the encoder
E plays the game in latent space (docs/methods.md).

Codes and prior live on the unit sphere (E's output and z ~ N(0, I) are L2-normalised). With Δ the KL between
the batch-fitted diagonal Gaussian and N(0, I) (`losses.batch_gaussian_kl`), one iteration is
  1. encoder:  min  Δ(E(x)) - Δ(E(G(z))) + mu * ||x - G(E(x))||_1            (max V - mu L_X)
  2. generator, `generator_steps` times:  min  Δ(E(G(z))) + lambda * (1 - cos(z, E(G(z))))   (min V + lambda L_Z)
as the official code's defaults (KL_real, KL_fake, match_x for E; KL_fake, match_z='cos' for G).
"""

import jax
import jax.numpy as jnp

from aegan import losses, nets
from aegan.configs import NETWORKS
from aegan.methods import api
from aegan.parallel import DATA_AXIS, collective_axis, normal_rows, pmean

NETS = NETWORKS['age']  # configs.NETWORKS: one optim.<net> block each


def to_sphere(z):
    return z / jnp.linalg.norm(z, axis=-1, keepdims=True)


def encoder_loss(x, x_rec, codes_real, codes_fake, mu, axis_name=None):
    terms = {
        'kl_real': losses.batch_gaussian_kl(codes_real, axis_name),
        'kl_fake': losses.batch_gaussian_kl(codes_fake, axis_name),
        'reconstruction_l1': losses.l1(x, x_rec),
    }
    return terms['kl_real'] - terms['kl_fake'] + mu * terms['reconstruction_l1'], terms


def generator_loss(z, codes_fake, lam, axis_name=None):
    terms = {
        'kl_fake': losses.batch_gaussian_kl(codes_fake, axis_name),
        'latent_cos': losses.cosine_distance(z, codes_fake),
    }
    return terms['kl_fake'] + lam * terms['latent_cos'], terms


def make(config, data_shape) -> api.Method:
    mu, lam, generator_steps = config.age.mu, config.age.lam, config.age.generator_steps
    for key, value in (('mu', mu), ('lam', lam)):
        if not value >= 0:
            raise ValueError(f'age.{key}={value} must be >= 0.')
    if not (isinstance(generator_steps, int) and generator_steps >= 1):
        raise ValueError(f'age.generator_steps={generator_steps} must be an integer >= 1.')
    z_dim = config.model.z_dim
    modules = {
        'encoder': nets.encoder(config.model, data_shape, z_dim, DATA_AXIS),
        'generator': nets.generator(config.model, data_shape, DATA_AXIS),
    }
    optimizers = api.make_optimizers(config, {'encoder': 1, 'generator': generator_steps})
    net = api.net_caller(modules)

    def encode_sphere(state, x, params=None, train=True):
        codes, stats = net(state, 'encoder', x, params, train=train)
        return to_sphere(codes), stats

    def init(rng, example_batch):
        return api.init_nets(modules, rng, {'encoder': example_batch, 'generator': jnp.zeros((1, z_dim))}, optimizers)

    def generator_step(state, z):
        def loss_fn(params):
            x_gen, stats = net(state, 'generator', z, params)
            codes_fake, _ = encode_sphere(state, x_gen)
            loss, terms = generator_loss(z, codes_fake, lam, collective_axis())
            return pmean(loss), (pmean(terms), stats)

        return api.update_net(state, 'generator', loss_fn, optimizers['generator'])

    def update(state, x, rng):
        z = to_sphere(normal_rows(jax.random.fold_in(rng, 0), (x.shape[0], z_dim)))
        x_fake = jax.lax.stop_gradient(net(state, 'generator', z)[0])

        def e_loss_fn(params):
            codes_real, stats = encode_sphere(state, x, params)
            codes_fake, stats = net(state, 'encoder', x_fake, params, stats)
            x_rec, _ = net(state, 'generator', codes_real)
            loss, terms = encoder_loss(x, x_rec, codes_real, to_sphere(codes_fake), mu, collective_axis())
            return pmean(loss), (pmean(terms), stats)

        state, e_loss, e_terms = api.update_net(state, 'encoder', e_loss_fn, optimizers['encoder'])
        for i in range(generator_steps):
            z = to_sphere(normal_rows(jax.random.fold_in(rng, 1 + i), (x.shape[0], z_dim)))

            state, g_loss, g_terms = generator_step(state, z)
        metrics = {
            'e_loss': e_loss,
            'g_loss': g_loss,
            **{f'e_{k}': v for k, v in e_terms.items()},
            **{f'g_{k}': v for k, v in g_terms.items()},
        }
        return state, metrics

    def encode(state, x):
        return encode_sphere(state, x, train=False)[0]

    def prior(rng, n):
        return to_sphere(jax.random.normal(rng, (n, z_dim)))

    functions = api.sampling_functions(net, prior, encode, to_code=to_sphere)
    return api.Method(name='age', init=init, update=update, **functions)
