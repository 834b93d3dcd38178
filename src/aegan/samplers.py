"""Samplers: how `aegan.eval` draws data from a trained method.

`prior`: x = G(z), z ~ p(z): the method's own `sample`.

`ppgn`: MCMC in code space, Nguyen et al. 2017 ("Plug & Play Generative Networks", Eq. 11; docs/methods.md
"PPGN sampling"), for any method with an encoder E and a generator G:

    h <- h + eps1 (R(h) - h) + eps2 d log p(y_c | G(h)) / dh + N(0, eps3^2 I),   h_0 ~ p(z),   x = G(h_T).

For a denoising autoencoder R, R(h) - h estimates sigma^2 d log p(h) / dh (Alain & Bengio 2014), so the chain walks
towards codes where the data are. Two choices of R (`prior_model`):
  - 'upside_down' (PPGN's own code): R(h) = E(G(h)). Needs no training; its fixed points are codes that G and E
    agree on, i.e. codes of data the autoencoder reconstructs.
  - 'dae': an MLP trained here to denoise the encoder's codes of training data, so it learns the density of the codes
    the encoder actually produces; the one to use when those codes do not match p(z) (a plain AE).
The eps2 term is used when a classifier's `class_log_prob(class_state, x, y) -> log p(y | x)` is given; each chain
gets its own class y, drawn uniformly, so the samples cover every class.
"""

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from aegan import methods
from aegan.nets import MLP

SAMPLERS = ('prior', 'ppgn')
PRIOR_MODELS = ('upside_down', 'dae')


class PPGNSettings(NamedTuple):
    """The chain's knobs. eps3 > 0 keeps it a sampler (without noise it is a deterministic fixed-point iteration).

    Defaults: chosen on ring8: an AE's prior samples are 0.2% high quality, this chain's 28.7% (5 seeds,
    results/ring8/results.md). eps1 = 1 with few steps collapses the samples onto a few modes.
    """

    num_steps: int = 100
    eps1: float = 0.2
    eps2: float = 0.0
    eps3: float = 0.02
    prior_model: str = 'dae'
    dae_noise: float = 0.1  # DAE corruption std, in units of the codes' own std.
    dae_steps: int = 2000

    def validate(self):
        if self.prior_model not in PRIOR_MODELS:
            raise ValueError(f'Unknown ppgn prior_model={self.prior_model!r}; valid choices: {list(PRIOR_MODELS)}.')
        if not (isinstance(self.num_steps, int) and self.num_steps >= 0):
            raise ValueError(f'ppgn num_steps={self.num_steps!r} must be an integer >= 0.')
        for name in ('eps1', 'eps2', 'eps3'):
            if not getattr(self, name) >= 0:
                raise ValueError(f'ppgn {name}={getattr(self, name)} must be >= 0.')
        if not self.dae_noise > 0:
            raise ValueError(f'ppgn dae_noise={self.dae_noise} must be > 0.')


def ppgn_chain(h, rng, reconstruct_code: Callable, settings: PPGNSettings, class_log_prob: Callable | None = None):
    """Runs `settings.num_steps` steps of the PPGN chain from codes `h` [n, d]; returns the final codes.

    `reconstruct_code(h) -> R(h)`; `class_log_prob(h) -> log p(y_c | G(h))` per row (optional, used when eps2 > 0).
    Pure and jittable; step i's noise is drawn from fold_in(rng, i).
    """

    def body(i, h):
        step = settings.eps1 * (reconstruct_code(h) - h)
        if class_log_prob is not None and settings.eps2 > 0:
            step = step + settings.eps2 * jax.grad(lambda h: jnp.sum(class_log_prob(h)))(h)
        return h + step + settings.eps3 * jax.random.normal(jax.random.fold_in(rng, i), h.shape, h.dtype)

    return jax.lax.fori_loop(0, settings.num_steps, body, h)


def train_code_dae(codes: np.ndarray, rng, settings: PPGNSettings, hidden=(256, 256), batch_size=256, lr=1e-3):
    """Fits R minimising E ||R(h + sigma n) - h||^2 over the encoder's codes `h`; returns (apply, params), R(h) =
    apply(params, h).

    sigma = settings.dae_noise * std(codes): the chain then follows the codes' density smoothed at that scale.
    """
    codes = jnp.asarray(codes, jnp.float32)
    sigma = settings.dae_noise * float(jnp.std(codes))
    net = MLP(tuple(hidden), codes.shape[-1])
    init_key, train_key = jax.random.split(rng)
    params = {'params': net.init(init_key, codes[:1])['params']}  # not the 'intermediates' the MLP sows
    optimizer = optax.adam(lr)

    def loss_fn(params, h, noise):
        return jnp.mean(jnp.sum((net.apply(params, h + sigma * noise) - h) ** 2, axis=-1))

    def step(carry, key):
        params, opt_state = carry
        index_key, noise_key = jax.random.split(key)
        h = codes[jax.random.randint(index_key, (batch_size,), 0, codes.shape[0])]
        grads = jax.grad(loss_fn)(params, h, jax.random.normal(noise_key, h.shape))
        updates, opt_state = optimizer.update(grads, opt_state)
        return (optax.apply_updates(params, updates), opt_state), None

    keys = jax.random.split(train_key, settings.dae_steps)
    (params, _), _ = jax.jit(lambda p, o: jax.lax.scan(step, (p, o), keys))(params, optimizer.init(params))
    return net.apply, params


def make_sampler(
    name: str,
    method,
    state,
    settings: PPGNSettings | None = None,
    train_data=None,
    class_log_prob: Callable | None = None,
    class_state=None,
    num_classes: int = 0,
    seed: int = 0,
    chunk: int = 1000,
):
    """Returns `sample(rng, n) -> data` (numpy) for sampler `name`.

    `train_data` (training examples) is needed by prior_model='dae', whose key derives from `seed`;
    `class_log_prob(class_state, x, y) -> log p(y | x)` over `num_classes` classes adds the eps2 term. The codes are
    encoded and the chains run `chunk` rows at a time (memory bounded by `chunk`, not n), with the states arguments
    of the jitted chain rather than constants folded into it.
    """
    if name not in SAMPLERS:
        raise ValueError(f'Unknown sampler={name!r}; valid choices: {list(SAMPLERS)}.')
    settings = settings or PPGNSettings()
    if name == 'prior':
        draw = jax.jit(method.sample, static_argnums=2)
        return lambda rng, n: np.asarray(draw(state, rng, n))
    if method.encode is None or method.decode is None:
        with_encoder = [m for m in methods.METHODS if {'encoder', 'generator'} <= set(methods.nets_of(m))]  # registry
        raise ValueError(
            f"sampler='ppgn' walks in code space and needs an encoder; method={method.name!r} has none. "
            f'Use --sampler=prior, or a method with an encoder ({", ".join(with_encoder)}).'
        )
    settings.validate()
    dae_apply, dae_params = None, None
    if settings.prior_model == 'dae':
        if train_data is None:
            raise ValueError("ppgn prior_model='dae' needs training data to learn the codes' density.")
        encode = jax.jit(method.encode)
        codes = np.concatenate(
            [
                np.asarray(encode(state, jnp.asarray(train_data[i : i + chunk])))
                for i in range(0, len(train_data), chunk)
            ]
        )
        dae_apply, dae_params = train_code_dae(codes, jax.random.fold_in(jax.random.key(seed), 1), settings)
    if class_log_prob is not None and num_classes < 1:
        raise ValueError('The PPGN class term needs num_classes >= 1 with class_log_prob.')

    @jax.jit
    def run_chains(state, dae_params, class_state, h, key, labels):
        if dae_apply is None:
            reconstruct_code = lambda h: method.encode(state, method.decode(state, h))
        else:
            reconstruct_code = lambda h: dae_apply(dae_params, h)
        log_prob = None
        if class_log_prob is not None:
            log_prob = lambda h: class_log_prob(class_state, method.decode(state, h), labels)
        return method.decode(state, ppgn_chain(h, key, reconstruct_code, settings, log_prob))

    def sample(rng, n):
        prior_key, chain_key, label_key = jax.random.split(rng, 3)
        h = method.prior(prior_key, n)
        labels = jax.random.randint(label_key, (n,), 0, max(num_classes, 1))
        parts = []
        for i in range(0, n, chunk):
            rows, key = slice(i, i + chunk), jax.random.fold_in(chain_key, i)
            parts.append(np.asarray(run_chains(state, dae_params, class_state, h[rows], key, labels[rows])))
        return np.concatenate(parts)

    return sample
