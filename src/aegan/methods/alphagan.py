"""α-GAN: Rosca, Lakshminarayanan, Warde-Farley, Mohamed 2017, "Variational Approaches for Auto-Encoding GANs".

Four networks: encoder E (x -> z_hat), generator G (z -> x), data discriminator D (real x vs reconstructions
G(E(x)) *and* prior samples G(z)), code discriminator C (prior z vs encoder codes z_hat). The ELBO's likelihood is
replaced by lambda*L1 plus the synthetic likelihood log D/(1-D), and its KL by log C/(1-C); both density ratios are
exactly the discriminators' logits (docs/methods.md, "α-GAN").

The encoder's loss, `config.alphagan.encoder_loss`:
  'paper' (default; Algorithm 1 of arXiv 1706.04987 as we read it, docs/methods.md): each net minimises its own loss,
      L_E = lambda ||x - G(E(x))||_1 - logit C(E(x))
      L_G = lambda ||x - G(E(x))||_1 - logit D(G(E(x))) - logit D(G(z))
  'joint': E and G both minimise L_E + L_G - lambda L1, so E also receives the gradient of -logit D(G(E(x))) through
      the reconstruction, as in victor-shepardson/alpha-GAN's summed autoencoder loss. G's gradient is the same in
      both variants. Only this loss is taken from that implementation: its other choices (one concatenated fake
      batch for D, -log D and -log C instead of the logits, D and C updated first) are not ours (docs/methods.md).

One iteration (each network updated separately, as the authors confirmed; docs/methods.md):
  1. `generator_steps` times: E and G, each with its own optimizer, from one forward pass (jax.vjp, one cotangent
     per loss).
  2. D: cross-entropy with x -> 1, G(E(x)) -> 0, G(z) -> 0, each a BatchNorm batch of its own.
  3. C: cross-entropy with prior z -> 1, E(x) -> 0 (the corrected sign; arXiv v1 swaps them). C has no BatchNorm.
What D and C read, `config.alphagan.discriminator_inputs`: 'updated' (default) a fresh forward of the E and G that
step 1 updated (E once, G twice, a new prior draw); 'same_forward' the codes and images of the last E/G step's own
forward, before its update (Algorithm 1's single forward per iteration; docs/methods.md has both measured).
"""

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from aegan import losses, nets
from aegan.configs import NETWORKS
from aegan.methods import api
from aegan.parallel import DATA_AXIS, normal_rows, pmean

NETS = NETWORKS['alphagan']  # configs.NETWORKS: one optim.<net> block each
ENCODER_LOSSES = ('paper', 'joint')
DISCRIMINATOR_INPUTS = ('updated', 'same_forward')


def encoder_loss(x, x_rec, c_hat, lambda_rec):
    """Algorithm 1's encoder loss: lambda * L1 - log C/(1-C) on the encoder's codes (no data-discriminator term)."""
    return lambda_rec * losses.l1(x, x_rec) + losses.logit_loss(c_hat)


def generator_loss(x, x_rec, d_rec, d_gen, lambda_rec):
    """Algorithm 1's generator loss: lambda * L1 - log D/(1-D) on reconstructions and on prior samples."""
    return lambda_rec * losses.l1(x, x_rec) + losses.logit_loss(d_rec) + losses.logit_loss(d_gen)


def joint_loss(x, x_rec, d_rec, d_gen, c_hat, lambda_rec):
    """The single loss that 'joint' gives both E and G: every term once."""
    return generator_loss(x, x_rec, d_rec, d_gen, lambda_rec) + losses.logit_loss(c_hat)


def discriminator_loss(d_real, d_rec, d_gen):
    """Binary cross-entropy: real data -> 1, reconstructions -> 0, samples -> 0 (Fig. 1c)."""
    return losses.bce_real(d_real) + losses.bce_fake(d_rec) + losses.bce_fake(d_gen)


def code_discriminator_loss(c_prior, c_hat):
    """Binary cross-entropy: prior codes -> 1, encoder codes -> 0, so C/(1-C) estimates p(z)/q(z)."""
    return losses.bce_real(c_prior) + losses.bce_fake(c_hat)


def validate(config) -> None:
    section = config.alphagan
    lambda_rec, generator_steps = section.lambda_rec, section.generator_steps
    if not lambda_rec >= 0:
        raise ValueError(f'alphagan.lambda_rec={lambda_rec} must be >= 0.')
    if not (isinstance(generator_steps, int) and generator_steps >= 1):
        raise ValueError(f'alphagan.generator_steps={generator_steps} must be an integer >= 1.')
    if section.get('encoder_loss', 'paper') not in ENCODER_LOSSES:
        raise ValueError(
            f'Unknown alphagan.encoder_loss={section.encoder_loss!r}; valid choices: {list(ENCODER_LOSSES)} '
            '(docs/methods.md, "α-GAN").'
        )
    if section.get('discriminator_inputs', 'updated') not in DISCRIMINATOR_INPUTS:
        raise ValueError(
            f'Unknown alphagan.discriminator_inputs={section.discriminator_inputs!r}; valid choices: '
            f'{list(DISCRIMINATOR_INPUTS)}.'
        )


class Steps(NamedTuple):
    """The parts of one iteration, each `(state, ...) -> (state, metrics)` inside shard_map; `update` chains them."""

    net: Callable  # api.net_caller over the four modules
    encoder_generator_step: Callable  # (state, x, rng); also returns {z_prior, z_hat, x_rec, x_gen} of its forward
    discriminator_step: Callable  # (state, x, x_rec, x_gen)
    code_discriminator_step: Callable  # (state, z_prior, z_hat)
    init: Callable  # (rng, example_batch) -> api.TrainState


def make_steps(config, data_shape) -> Steps:
    """Builds the networks, their optimizers and the three update steps from `config`."""
    validate(config)
    lambda_rec = config.alphagan.lambda_rec
    joint = config.alphagan.get('encoder_loss', 'paper') == 'joint'
    z_dim = config.model.z_dim
    modules = {
        'encoder': nets.encoder(config.model, data_shape, z_dim, DATA_AXIS),
        'generator': nets.generator(config.model, data_shape, DATA_AXIS),
        'discriminator': nets.discriminator(config.model, data_shape, DATA_AXIS),
        'code_discriminator': nets.code_discriminator(config.model),
    }
    steps_of_eg = config.alphagan.generator_steps
    optimizers = api.make_optimizers(
        config, {'encoder': steps_of_eg, 'generator': steps_of_eg, 'discriminator': 1, 'code_discriminator': 1}
    )
    net = api.net_caller(modules)

    def init(rng, example_batch):
        codes = jnp.zeros((1, z_dim))
        inputs = {
            'encoder': example_batch,
            'generator': codes,
            'discriminator': example_batch,
            'code_discriminator': codes,
        }
        return api.init_nets(modules, rng, inputs, optimizers)

    def encoder_generator_step(state, x, rng):
        z_prior = normal_rows(rng, (x.shape[0], z_dim))

        def forward(params):
            z_hat, stats_e = net(state, 'encoder', x, params['encoder'])
            x_rec, stats_g = net(state, 'generator', z_hat, params['generator'])
            x_gen, stats_g = net(state, 'generator', z_prior, params['generator'], stats_g)
            return (z_hat, x_rec, x_gen), {'encoder': stats_e, 'generator': stats_g}

        params = {name: state.params[name] for name in ('encoder', 'generator')}
        (z_hat, x_rec, x_gen), backward, stats = jax.vjp(forward, params, has_aux=True)

        # The three parts of the losses as functions of E's and G's outputs (D and C are fixed in this step; their
        # statistics move only in their own steps). Each is pmean'd before differentiation (parallel.py).
        def reconstruction(x_rec):
            return pmean(lambda_rec * losses.l1(x, x_rec))

        def data_term(x_rec, x_gen):
            terms = {
                'g_loss_rec': losses.logit_loss(net(state, 'discriminator', x_rec)[0]),  # -log D/(1-D)
                'g_loss_gen': losses.logit_loss(net(state, 'discriminator', x_gen)[0]),
            }
            return pmean(terms['g_loss_rec'] + terms['g_loss_gen']), pmean(terms)

        def code_term(z_hat):
            return pmean(losses.logit_loss(net(state, 'code_discriminator', z_hat)[0]))  # -log C/(1-C)

        rec, rec_cot = jax.value_and_grad(reconstruction)(x_rec)
        (_, terms), (rec_d_cot, gen_cot) = jax.value_and_grad(data_term, (0, 1), has_aux=True)(x_rec, x_gen)
        code, code_cot = jax.value_and_grad(code_term)(z_hat)
        # G's gradient is the same in both variants: the code term does not depend on G's parameters.
        grads = backward((code_cot, rec_cot + rec_d_cot, gen_cot))[0]
        if not joint:  # the encoder's own loss: reconstruction and code terms only.
            grads['encoder'] = backward((code_cot, rec_cot, jnp.zeros_like(gen_cot)))[0]['encoder']
        for name in ('encoder', 'generator'):
            state = api.apply_updates(state, name, grads[name], optimizers[name])
        state = state.replace(batch_stats={**state.batch_stats, **{k: v for k, v in stats.items() if v is not None}})
        terms = {'reconstruction_l1': pmean(losses.l1(x, x_rec)), 'e_loss_code': code, **terms}
        metrics = {**terms, 'e_loss': rec + code, 'g_loss': rec + terms['g_loss_rec'] + terms['g_loss_gen']}
        return state, metrics, {'z_prior': z_prior, 'z_hat': z_hat, 'x_rec': x_rec, 'x_gen': x_gen}

    def discriminator_step(state, x, x_rec, x_gen):
        def loss_fn(params):
            d_real, stats = net(state, 'discriminator', x, params)
            d_rec, stats = net(state, 'discriminator', x_rec, params, stats)
            d_gen, stats = net(state, 'discriminator', x_gen, params, stats)
            metrics = {'d_real_prob': jnp.mean(jax.nn.sigmoid(d_real)), 'd_gen_prob': jnp.mean(jax.nn.sigmoid(d_gen))}
            return pmean(discriminator_loss(d_real, d_rec, d_gen)), (pmean(metrics), stats)

        state, loss, metrics = api.update_net(state, 'discriminator', loss_fn, optimizers['discriminator'])
        return state, {'d_loss': loss, **metrics}

    def code_discriminator_step(state, z_prior, z_hat):
        def loss_fn(params):
            c_prior, _ = net(state, 'code_discriminator', z_prior, params)
            c_hat, _ = net(state, 'code_discriminator', z_hat, params)
            return pmean(code_discriminator_loss(c_prior, c_hat)), ({}, None)

        state, loss, _ = api.update_net(state, 'code_discriminator', loss_fn, optimizers['code_discriminator'])
        return state, {'c_loss': loss}

    return Steps(net, encoder_generator_step, discriminator_step, code_discriminator_step, init)


def make(config, data_shape) -> api.Method:
    """Builds α-GAN's pure functions from `config` (keys: model, optim.<net>, alphagan)."""
    steps = make_steps(config, data_shape)
    net, generator_steps, z_dim = steps.net, config.alphagan.generator_steps, config.model.z_dim
    fresh_forward = config.alphagan.get('discriminator_inputs', 'updated') == 'updated'

    def update(state: api.TrainState, x, rng):
        for i in range(generator_steps):
            state, metrics, outputs = steps.encoder_generator_step(state, x, jax.random.fold_in(rng, i))
        if fresh_forward:  # the *updated* E and G (train-mode BatchNorm, statistics not kept: those moved above)
            z_prior = normal_rows(jax.random.fold_in(rng, generator_steps), (x.shape[0], z_dim))
            z_hat, _ = net(state, 'encoder', x)
            outputs = {'z_prior': z_prior, 'z_hat': z_hat, 'x_rec': net(state, 'generator', z_hat)[0]}
            outputs['x_gen'] = net(state, 'generator', z_prior)[0]
        z_prior, z_hat, x_rec, x_gen = (outputs[k] for k in ('z_prior', 'z_hat', 'x_rec', 'x_gen'))
        z_hat, x_rec, x_gen = jax.lax.stop_gradient((z_hat, x_rec, x_gen))
        state, d_metrics = steps.discriminator_step(state, x, x_rec, x_gen)
        state, c_metrics = steps.code_discriminator_step(state, z_prior, z_hat)
        return state, {**metrics, **d_metrics, **c_metrics}

    return api.Method(
        name='alphagan',
        init=steps.init,
        update=update,
        **api.sampling_functions(net, api.normal_prior(z_dim), encode=True),
    )
