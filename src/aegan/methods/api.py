"""What every method is: a record of pure functions over a plain `TrainState` pytree."""

import dataclasses
from collections.abc import Callable
from typing import Any

import flax
import jax
import jax.numpy as jnp
import optax


@flax.struct.dataclass
class TrainState:
    """All networks' variables and optimizer states. No RNG: a step's key is fold_in(root_key, step).

    Attributes:
      step: completed iterations (int32 scalar).
      params: {net_name: params}.
      batch_stats: {net_name: BatchNorm statistics} for the nets that have them.
      opt_state: {net_name: optax state}; each net has its own optimizer (`config.optim.<net>`).
      ema: the moving average of the sampling nets' weights, {'params': ..., 'batch_stats': ...} (aegan/ema.py);
        {} when `config.ema` is off.
    """

    step: jax.Array
    params: dict[str, Any]
    batch_stats: dict[str, Any]
    opt_state: dict[str, Any]
    ema: dict[str, Any] = flax.struct.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Method:
    """A method's pure functions, by keyword (eight callables are easy to swap by position).

    `update(state, batch, rng) -> (state, metrics)` runs inside shard_map (per-device rows, axis 'data'). Its
    contract: every loss and metric is `parallel.pmean`'d, noise is drawn with `parallel.normal_rows`, and the step
    counter is *not* touched: `parallel.shard_step` increments it once for every method.
    """

    name: str
    init: Callable[[jax.Array, jax.Array], TrainState]  # (rng, example_batch) -> state
    update: Callable[[TrainState, jax.Array, jax.Array], tuple[TrainState, dict]]  # (state, batch, rng)
    sample: Callable[[TrainState, jax.Array, int], jax.Array] | None = None  # (state, rng, n); None: not generative
    reconstruct: Callable[[TrainState, jax.Array], jax.Array] | None = None
    encode: Callable[[TrainState, jax.Array], jax.Array] | None = None
    # `sample(state, rng, n) == decode(state, prior(rng, n))`; code-space samplers (samplers.py) need the parts.
    prior: Callable[[jax.Array, int], jax.Array] | None = None  # (rng, n) -> codes
    decode: Callable[[TrainState, jax.Array], jax.Array] | None = None  # (state, codes) -> data
    # (state, codes) -> state: one train-mode pass of G over the codes, moving its BatchNorm running statistics
    refresh_batch_stats: Callable[[TrainState, jax.Array], TrainState] | None = None
    classify: Callable[[TrainState, jax.Array], jax.Array] | None = None  # (state, data) -> logits
    # (state, data) -> [n, d]: a classifier's penultimate layer, a feature space for precision/recall (evaluators)
    features: Callable[[TrainState, jax.Array], jax.Array] | None = None
    labelled: bool = False  # `update` takes {'image', 'label'} batches instead of images


def normal_prior(z_dim: int, std: float = 1.0) -> Callable[[jax.Array, int], jax.Array]:
    """`prior(rng, n)`: n codes from N(0, std^2 I)."""
    return lambda rng, n: std * jax.random.normal(rng, (n, z_dim))


def sampling_functions(net, prior, encode=None, to_code=None) -> dict:
    """The generative half of a `Method`: prior, decode, sample, and encode/reconstruct when there is an encoder.

    `net` is `net_caller(modules)` with a 'generator'; `encode(state, x)` defaults to the 'encoder' net's output when
    `encode=True`; `to_code` maps any prior-shaped input onto the code space before decoding (AGE's sphere).
    """

    def decode(state, z):
        return net(state, 'generator', z if to_code is None else to_code(z), train=False)[0]

    def sample(state, rng, n):
        return decode(state, prior(rng, n))

    def refresh_batch_stats(state, z):
        _, stats = net(state, 'generator', z if to_code is None else to_code(z), train=True)
        return state if stats is None else state.replace(batch_stats={**state.batch_stats, 'generator': stats})

    functions = {'prior': prior, 'decode': decode, 'sample': sample, 'refresh_batch_stats': refresh_batch_stats}
    if encode is not None:
        if encode is True:
            encode = lambda state, x: net(state, 'encoder', x, train=False)[0]  # noqa: E731

        def reconstruct(state, x):  # codes are already in code space
            return net(state, 'generator', encode(state, x), train=False)[0]

        functions.update(encode=encode, reconstruct=reconstruct)
    return functions


OPTIMIZERS = ('adam', 'sgd')


SCHEDULES = ('constant', 'cosine')


def make_optimizer(optim_config, name: str, total_updates: int | None = None) -> optax.GradientTransformation:
    """The optimizer of net `name` from `config.optim.<name>`, validated with the key named in the error.

    `kind` 'adam' (default; learning_rate, b1, b2, eps) or 'sgd' (learning_rate only). Plain SGD is what the tests use
    where a gradient's *scale* matters: Adam divides a uniform scale out, so it would hide gradients N times too large.
    `schedule` 'constant' (default) or 'cosine': the learning rate decays to 0 along a cosine over the run's
    `total_updates` of this net (num_train_steps x its updates per step, which the method knows), so a longer
    `--config.num_train_steps` stretches the schedule with it.
    """
    kind, lr = optim_config.get('kind', 'adam'), optim_config.learning_rate
    if kind not in OPTIMIZERS:
        raise ValueError(f'Unknown optim.{name}.kind={kind!r}; valid choices: {list(OPTIMIZERS)}.')
    if not lr > 0:
        raise ValueError(f'optim.{name}.learning_rate={lr} must be > 0.')
    schedule = optim_config.get('schedule', 'constant')
    if schedule not in SCHEDULES:
        raise ValueError(f'Unknown optim.{name}.schedule={schedule!r}; valid choices: {list(SCHEDULES)}.')
    if schedule == 'cosine':
        lr = optax.cosine_decay_schedule(lr, total_updates)
    if kind == 'sgd':
        return optax.sgd(lr)
    b1, b2, eps = optim_config.get('b1', 0.9), optim_config.get('b2', 0.999), optim_config.get('eps', 1e-8)
    if not eps > 0:
        raise ValueError(f'optim.{name}.eps={eps} must be > 0.')
    for key, beta in (('b1', b1), ('b2', b2)):
        if not 0 <= beta < 1:
            raise ValueError(f'optim.{name}.{key}={beta} must be in [0, 1).')
    return optax.adam(lr, b1=b1, b2=b2, eps=eps)


def make_optimizers(config, updates_per_step: dict) -> dict:
    """{net: optimizer} from `config.optim`, for the nets of `updates_per_step` (net -> updates per train step, which
    sets a decaying schedule's horizon)."""
    return {
        name: make_optimizer(config.optim[name], name, config.num_train_steps * updates)
        for name, updates in updates_per_step.items()
    }


def run_net(module, params, batch_stats, x, train: bool):
    """Applies a net; returns (output, BatchNorm statistics): updated in training mode, else as given (or None)."""
    variables = {'params': params}
    if batch_stats is not None:
        variables['batch_stats'] = batch_stats
        if train:
            y, updates = module.apply(variables, x, train=True, mutable=['batch_stats'])
            return y, updates['batch_stats']
    return module.apply(variables, x, train=train), batch_stats


def init_nets(nets: dict, rng, inputs: dict, optimizers: dict) -> TrainState:
    """Initialises every net on its example input (eval mode: no cross-device axis exists at init)."""
    params, batch_stats, opt_state = {}, {}, {}
    for i, (name, module) in enumerate(sorted(nets.items())):
        variables = module.init(jax.random.fold_in(rng, i), inputs[name], train=False)
        params[name] = variables['params']
        if 'batch_stats' in variables:
            batch_stats[name] = variables['batch_stats']
        opt_state[name] = optimizers[name].init(params[name])
    return TrainState(step=jnp.zeros((), jnp.int32), params=params, batch_stats=batch_stats, opt_state=opt_state)


def apply_updates(state: TrainState, name: str, grads, optimizer) -> TrainState:
    """One optimizer step of one net."""
    updates, opt = optimizer.update(grads, state.opt_state[name], state.params[name])
    params = optax.apply_updates(state.params[name], updates)
    return state.replace(params={**state.params, name: params}, opt_state={**state.opt_state, name: opt})


def update_net(state: TrainState, name: str, loss_fn, optimizer):
    """One optimizer step of net `name`. `loss_fn(params) -> (pmean'd loss, (metrics, new batch_stats or None))`.

    Returns (state, loss, metrics).
    """
    (loss, (metrics, stats)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params[name])
    state = apply_updates(state, name, grads, optimizer)
    if stats is not None:
        state = state.replace(batch_stats={**state.batch_stats, name: stats})
    return state, loss, metrics


def update_nets_jointly(state: TrainState, names, loss_fn, optimizers: dict):
    """One joint step of several nets on one loss (one backward pass), each net with its own optimizer.

    `loss_fn({name: params}) -> (pmean'd loss, (metrics, {name: new batch_stats or None}))`. Returns (state, loss,
    metrics).
    """
    (loss, (metrics, stats)), grads = jax.value_and_grad(loss_fn, has_aux=True)({n: state.params[n] for n in names})
    for name in names:
        state = apply_updates(state, name, grads[name], optimizers[name])
    stats = {name: s for name, s in stats.items() if s is not None}
    return state.replace(batch_stats={**state.batch_stats, **stats}), loss, metrics


def net_caller(modules: dict):
    """`net(state, name, x, params=None, batch_stats=None, train=True) -> (y, batch_stats)` over `modules`.

    `params`/`batch_stats` default to the state's, so a loss can differentiate w.r.t. one net and read the others.
    """

    def net(state, name, x, params=None, batch_stats=None, train=True):
        params = state.params[name] if params is None else params
        batch_stats = state.batch_stats.get(name) if batch_stats is None else batch_stats
        return run_net(modules[name], params, batch_stats, x, train)

    return net
