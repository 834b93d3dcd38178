"""An exponential moving average of the networks that make samples (Yazici et al. 2019), as in StyleGAN2-ADA.

`with_ema(method, config)` returns the method whose state also carries `ema = {'params': {net: ...},
'batch_stats': {net: ...}}` for `AVERAGED_NETS` (the generator; the encoder too where there is one, so that
reconstructions G(E(x)) come from one averaged pair), updated after every step with StyleGAN2-ADA's rule:

    half_life = min(ema.half_life_steps, ema.rampup * steps before this one)   (no min when rampup is 0)
    beta = 0.5 ** (1 / half_life);  average <- beta * average + (1 - beta) * weights

so that the average forgets its first, random weights within a short run and averages over `half_life_steps` in
a long one. It is StyleGAN2-ADA's rule in steps rather than images: theirs, 0.5 ** (batch / min(half-life in
images, rampup * images seen)), is this one with the half-life in images = half_life_steps * batch, and their
default of 10,000 images per 32 of batch is half_life_steps = 312.5 at any batch (a --config.batch_size override
keeps it). (The issue that asked for it wrote max(); StyleGAN2-ADA's training_loop.py has min(), which is the
ramp-up: with max() the half-life would only grow.) The BatchNorm statistics the averaged generator uses are
`ema.batch_stats`: 'raw' (default) the trained generator's own running statistics, copied, as StyleGAN2-ADA copies
its buffers; 'averaged' their moving average with the same beta. docs/methods.md, "Generator EMA", has both
measured. `weights(state, 'ema')` is the state with the averages in place of the weights, so that every sampler,
metric and eval reads it unchanged.
"""

import dataclasses

import jax
import jax.numpy as jnp

AVERAGED_NETS = ('generator', 'encoder')
BATCH_STATS = ('raw', 'averaged')
WEIGHTS = ('ema', 'raw')


def enabled(config) -> bool:
    return config.get('ema') is not None and config.ema.half_life_steps > 0


def validate(config) -> None:
    if config.get('ema') is None:
        return
    section = config.ema
    if not section.half_life_steps >= 0:
        raise ValueError(f'ema.half_life_steps={section.half_life_steps} must be >= 0 (0: no average).')
    if not section.rampup >= 0:
        raise ValueError(f'ema.rampup={section.rampup} must be >= 0 (0: no ramp-up).')
    if section.batch_stats not in BATCH_STATS:
        raise ValueError(f'Unknown ema.batch_stats={section.batch_stats!r}; valid choices: {list(BATCH_STATS)}.')


def beta(step, half_life_steps: float, rampup: float):
    """The average's decay for the update of `step` (0-based: `step` steps came before it)."""
    half_life = jnp.asarray(half_life_steps, jnp.float32)
    if rampup > 0:
        half_life = jnp.minimum(half_life, rampup * step.astype(jnp.float32))
    return 0.5 ** (1 / jnp.maximum(half_life, 1e-8))


def with_ema(method, config):
    """`method` whose init starts the average at the initial weights and whose update moves it; `method` itself
    when `config.ema` is off or the method makes no samples (a classifier)."""
    if not enabled(config) or method.sample is None:
        return method
    validate(config)
    section = config.ema

    def averaged(state):
        nets = [n for n in AVERAGED_NETS if n in state.params]
        return {
            'params': {n: state.params[n] for n in nets},
            'batch_stats': {n: state.batch_stats[n] for n in nets if n in state.batch_stats},
        }

    def init(rng, example_batch):
        state = method.init(rng, example_batch)
        # Copies: called eagerly, the same buffers in params and ema could not be donated to the step.
        return state.replace(ema=jax.tree.map(jnp.copy, averaged(state)))

    def update(state, batch, rng):
        b = beta(state.step, section.half_life_steps, section.rampup)
        new, metrics = method.update(state, batch, rng)
        current = averaged(new)
        ema = jax.tree.map(lambda avg, w: b * avg + (1 - b) * w, state.ema, current)
        return new.replace(ema=ema), {**metrics, 'ema_beta': b}

    return dataclasses.replace(method, init=init, update=update)


def has_average(state) -> bool:
    return bool(getattr(state, 'ema', None))


def weights(state, which: str, batch_stats: str = 'raw'):
    """`state` with the averaged weights of `AVERAGED_NETS` in place of the trained ones (`which='ema'`), or as it is
    ('raw'). `batch_stats` as `ema.batch_stats`. Raises when 'ema' is asked of a state without an average."""
    if which not in WEIGHTS:
        raise ValueError(f'Unknown weights={which!r}; valid choices: {list(WEIGHTS)}.')
    if which == 'raw':
        return state
    if not has_average(state):
        raise ValueError(
            'This run has no averaged weights (its config has no ema section, or ema.half_life_steps=0): '
            'evaluate it with --weights=raw.'
        )
    stats = state.batch_stats
    if batch_stats == 'averaged':
        stats = {**stats, **state.ema['batch_stats']}
    return state.replace(params={**state.params, **state.ema['params']}, batch_stats=stats)
