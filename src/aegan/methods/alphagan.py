"""α-GAN: Rosca, Lakshminarayanan, Warde-Farley, Mohamed 2017, "Variational Approaches for Auto-Encoding GANs".

Four networks: encoder E (x -> z_hat), generator G (z -> x), data discriminator D (real x vs reconstructions
G(E(x)) *and* prior samples G(z)), code discriminator C (prior z vs encoder codes z_hat). The ELBO's likelihood is
replaced by lambda*L1 plus the synthetic likelihood log D/(1-D), and its KL by log C/(1-C); both density ratios are
exactly the discriminators' logits. The hybrid objective (reference/methods.md §1.1), minimised by E and G:

    L_EG = lambda * ||x - G(E(x))||_1 - logit D(G(E(x))) - logit D(G(z)) - logit C(E(x))

One iteration (the authors confirmed that the four networks are updated separately; reference/methods.md §1.3):
  1. `generator_steps` times: E and G, each with its own optimizer, on grad L_EG. A single backward pass is exact:
     the logit D(G(z)) term has no E-gradient and the logit C(E(x)) term no G-gradient, so d/dE and d/dG of L_EG
     are the encoder's and the generator's own losses of the paper's Algorithm 1.
  2. D: cross-entropy with x -> 1, G(E(x)) -> 0, G(z) -> 0.
  3. C: cross-entropy with prior z -> 1, E(x) -> 0 — the corrected sign; arXiv v1's Algorithm 1 eqs. 16-17 swap
     them (confirmed by the authors, reference/methods.md §1.3). C has no BatchNorm.
"""

import jax
import jax.numpy as jnp

from aegan import losses, nets
from aegan.methods.api import Method, TrainState, apply_updates, init_nets, make_optimizer, run_net, train_nets
from aegan.parallel import DATA_AXIS, normal_rows, pmean

NETS = ('encoder', 'generator', 'discriminator', 'code_discriminator')


def encoder_generator_loss(x, x_rec, d_rec, d_gen, c_hat, lambda_rec):
    """L_EG from the discriminators' logits; returns (loss, terms)."""
    terms = {
        'reconstruction_l1': losses.l1(x, x_rec),
        'g_loss_rec': losses.logit_loss(d_rec),  # -log D/(1-D) on reconstructions
        'g_loss_gen': losses.logit_loss(d_gen),  # ... and on prior samples
        'e_loss_code': losses.logit_loss(c_hat),  # -log C/(1-C): the KL's density-ratio estimate
    }
    loss = lambda_rec * terms['reconstruction_l1'] + terms['g_loss_rec'] + terms['g_loss_gen'] + terms['e_loss_code']
    return loss, terms


def discriminator_loss(d_real, d_rec, d_gen):
    """Binary cross-entropy: real data -> 1, reconstructions -> 0, samples -> 0 (Fig. 1c)."""
    return losses.bce_real(d_real) + losses.bce_fake(d_rec) + losses.bce_fake(d_gen)


def code_discriminator_loss(c_prior, c_hat):
    """Binary cross-entropy: prior codes -> 1, encoder codes -> 0, so C/(1-C) estimates p(z)/q(z)."""
    return losses.bce_real(c_prior) + losses.bce_fake(c_hat)


def make(config, data_shape) -> Method:
    """Builds α-GAN's pure functions from `config` (keys: model, optim.<net>, alphagan)."""
    lambda_rec, generator_steps = config.alphagan.lambda_rec, config.alphagan.generator_steps
    if not lambda_rec >= 0:
        raise ValueError(f'alphagan.lambda_rec={lambda_rec} must be >= 0.')
    if not (isinstance(generator_steps, int) and generator_steps >= 1):
        raise ValueError(f'alphagan.generator_steps={generator_steps} must be an integer >= 1.')
    z_dim = config.model.z_dim
    modules = {
        'encoder': nets.encoder(config.model, data_shape, z_dim, DATA_AXIS),
        'generator': nets.generator(config.model, data_shape, DATA_AXIS),
        'discriminator': nets.discriminator(config.model, data_shape, DATA_AXIS),
        'code_discriminator': nets.code_discriminator(config.model),
    }
    optimizers = {name: make_optimizer(config.optim[name], name) for name in NETS}

    def net(state, name, x, params=None, batch_stats=None, train=True):
        params = state.params[name] if params is None else params
        batch_stats = state.batch_stats.get(name) if batch_stats is None else batch_stats
        return run_net(modules[name], params, batch_stats, x, train)

    def init(rng, example_batch):
        codes = jnp.zeros((1, z_dim))
        inputs = {
            'encoder': example_batch,
            'generator': codes,
            'discriminator': example_batch,
            'code_discriminator': codes,
        }
        return init_nets(modules, rng, inputs, optimizers)

    def encoder_generator_step(state, x, rng):
        z_prior = normal_rows(rng, (x.shape[0], z_dim))

        def loss_fn(params):
            z_hat, stats_e = net(state, 'encoder', x, params['encoder'])
            x_rec, stats_g = net(state, 'generator', z_hat, params['generator'])
            x_gen, stats_g = net(state, 'generator', z_prior, params['generator'], stats_g)
            d_rec, _ = net(state, 'discriminator', x_rec)  # D's own statistics are updated only in its step.
            d_gen, _ = net(state, 'discriminator', x_gen)
            c_hat, _ = net(state, 'code_discriminator', z_hat)
            loss, terms = encoder_generator_loss(x, x_rec, d_rec, d_gen, c_hat, lambda_rec)
            return pmean(loss), (terms, {'encoder': stats_e, 'generator': stats_g})

        state, _, terms = train_nets(state, ('encoder', 'generator'), loss_fn, optimizers)
        return state, pmean(terms)

    def discriminator_step(state, x, x_rec, x_gen):
        def loss_fn(params):
            d_real, stats = net(state, 'discriminator', x, params)
            d_rec, stats = net(state, 'discriminator', x_rec, params, stats)
            d_gen, stats = net(state, 'discriminator', x_gen, params, stats)
            metrics = {'d_real_prob': jnp.mean(jax.nn.sigmoid(d_real)), 'd_gen_prob': jnp.mean(jax.nn.sigmoid(d_gen))}
            return pmean(discriminator_loss(d_real, d_rec, d_gen)), (stats, metrics)

        (loss, (stats, metrics)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params['discriminator'])
        state = apply_updates(state, 'discriminator', grads, optimizers['discriminator'])
        if stats is not None:
            state = state.replace(batch_stats={**state.batch_stats, 'discriminator': stats})
        return state, {'d_loss': loss, **pmean(metrics)}

    def code_discriminator_step(state, z_prior, z_hat):
        def loss_fn(params):
            c_prior, _ = net(state, 'code_discriminator', z_prior, params)
            c_hat, _ = net(state, 'code_discriminator', z_hat, params)
            return pmean(code_discriminator_loss(c_prior, c_hat))

        loss, grads = jax.value_and_grad(loss_fn)(state.params['code_discriminator'])
        return apply_updates(state, 'code_discriminator', grads, optimizers['code_discriminator']), {'c_loss': loss}

    def update(state: TrainState, x, rng):
        for i in range(generator_steps):
            state, metrics = encoder_generator_step(state, x, jax.random.fold_in(rng, i))
        # D and C see the *updated* E and G (train-mode BatchNorm, statistics not kept: those moved in step 1).
        z_prior = normal_rows(jax.random.fold_in(rng, generator_steps), (x.shape[0], z_dim))
        z_hat, _ = net(state, 'encoder', x)
        x_rec, _ = net(state, 'generator', z_hat)
        x_gen, _ = net(state, 'generator', z_prior)
        z_hat, x_rec, x_gen = jax.lax.stop_gradient((z_hat, x_rec, x_gen))
        state, d_metrics = discriminator_step(state, x, x_rec, x_gen)
        state, c_metrics = code_discriminator_step(state, z_prior, z_hat)
        return state.replace(step=state.step + 1), {**metrics, **d_metrics, **c_metrics}

    def prior(rng, n):
        return jax.random.normal(rng, (n, z_dim))

    def decode(state, z):
        return net(state, 'generator', z, train=False)[0]

    def sample(state, rng, n):
        return decode(state, prior(rng, n))

    def encode(state, x):
        return net(state, 'encoder', x, train=False)[0]

    def reconstruct(state, x):
        return net(state, 'generator', encode(state, x), train=False)[0]

    return Method('alphagan', init, update, sample, reconstruct, encode, prior, decode)
