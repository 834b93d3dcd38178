"""The one place that touches devices: the mesh, batch placement and the data-parallel step.

Data parallelism with pmap semantics, written as `jax.jit(jax.shard_map(...))` over a 1-D mesh ('data',) of all
devices of all processes: state replicated (P()), batch sharded (P('data')).

Pitfall (measured): inside shard_map, `jax.grad` of a per-device loss w.r.t. replicated params already
returns the *sum* over devices. Methods therefore differentiate `lax.pmean(loss, DATA_AXIS)`, never pmean grads.
"""

import jax
import jax.numpy as jnp
from absl import logging
from jax import lax
from jax.sharding import AxisType, NamedSharding
from jax.sharding import PartitionSpec as P

DATA_AXIS = 'data'


def make_mesh(devices=None) -> jax.sharding.Mesh:
    """A 1-D ('data',) mesh over `devices` (default: all devices of all processes)."""
    devices = jax.devices() if devices is None else list(devices)
    # Auto axis: the classic pmap-like semantics (jax.make_mesh defaults to Explicit sharding in JAX 0.10).
    return jax.make_mesh((len(devices),), (DATA_AXIS,), axis_types=(AxisType.Auto,), devices=devices)


def check_batch_size(batch_size: int, mesh: jax.sharding.Mesh) -> tuple[int, int]:
    """Validates the global batch once; returns (per-process, per-device) sizes and logs all three."""
    devices, processes = mesh.devices.size, jax.process_count()
    if batch_size <= 0 or batch_size % devices:
        raise ValueError(
            f'batch_size={batch_size} must be a positive multiple of the number of devices ({devices}); '
            f'e.g. --config.batch_size={max(1, batch_size // devices) * devices or devices}.'
        )
    per_process, per_device = batch_size // processes, batch_size // devices
    logging.info(
        'Global batch %d = %d processes x %d; per device %d (%d devices).',
        batch_size,
        processes,
        per_process,
        per_device,
        devices,
    )
    return per_process, per_device


def replicated(mesh):
    return NamedSharding(mesh, P())


def to_global_batch(process_batch, mesh, seed_axis: bool = False):
    """Stitches each process's rows (an array, or a dict of arrays) into global arrays sharded over 'data'.

    With `seed_axis`, the arrays are [seeds, rows, ...] (a group's batches, `shard_step(replicas=...)`) and the
    rows are their second axis."""
    sharding = NamedSharding(mesh, P(None, DATA_AXIS) if seed_axis else P(DATA_AXIS))
    return jax.tree.map(lambda rows: jax.make_array_from_process_local_data(sharding, rows), process_batch)


def shard_step(update, mesh, compiler_options=None, replicas=None):
    """jit(shard_map(update)) with the step's key folded from the root key and the state's step counter, which it
    then increments (so that no method can forget to, and repeat a step's data and noise on resume).

    `update(state, batch, rng) -> (state, ...)` sees its device's rows of the batch and returns replicated values
    (the state first); the returned function takes `(state, global_batch, root_key)` and donates the old state.
    It is compiled with `compiler_options` (default: `step_compiler_options()`; {} for XLA's defaults).

    `replicas` trains K independent runs (seeds) as one program: every argument then has a leading axis of K (the
    state's leaves, the root keys, and the batch as [K, global rows, ...]), and the K steps run as one vectorised
    step ('vmap': K-times-larger kernels) or as K copies side by side in one program ('unroll': each replica keeps
    its own kernels, which XLA:CPU lowers better for convolutions; benchmarks/README.md, "Many seeds in one
    program"). None: one run, no leading axis.
    """

    def step(state, batch, root_key):
        state, *outputs = update(state, batch, jax.random.fold_in(root_key, state.step))
        return state.replace(step=state.step + 1), *outputs  # the one place the counter moves (methods/api.Method)

    batch_spec = P(DATA_AXIS) if replicas is None else P(None, DATA_AXIS)
    mapped = data_parallel(replicate(step, replicas), mesh, in_specs=(P(), batch_spec, P()), out_specs=P())
    options = step_compiler_options() if compiler_options is None else compiler_options
    return jax.jit(mapped, donate_argnums=0, compiler_options=options or None)


REPLICAS = ('vmap', 'unroll')


def replicate(fn, replicas):
    """`fn` over a leading replica axis of all its arguments and outputs (`shard_step`); `fn` itself for None."""
    if replicas is None:
        return fn
    if replicas == 'vmap':
        return jax.vmap(fn)
    if replicas != 'unroll':
        raise ValueError(f'Unknown replicas={replicas!r}; valid choices: {list(REPLICAS)} or None.')

    def unrolled(*args):
        count = jax.tree.leaves(args)[0].shape[0]
        outputs = [fn(*jax.tree.map(lambda x, k=k: x[k], args)) for k in range(count)]
        return jax.tree.map(lambda *xs: jnp.stack(xs), *outputs)

    return unrolled


def data_parallel(fn, mesh, in_specs, out_specs):
    """`jax.shard_map(fn)` over `mesh`, where `fn`'s collectives go through `collective_axis()`.

    Over one device those collectives are left out, so shard_map cannot infer that the outputs are replicated (its
    `check_vma`); they trivially are, and the check stays on wherever there are two devices or more.
    """
    return jax.shard_map(fn, mesh=mesh, in_specs=in_specs, out_specs=out_specs, check_vma=mesh.size > 1)


def collective_axis(axis_name: str | None = DATA_AXIS) -> str | None:
    """`axis_name` for a mean over the devices, or None inside a one-device `data_parallel`: a mean over one device
    is the identity, and XLA:CPU kept every such all-reduce (47 in the α-GAN stacked_mnist step), which cost 9% of
    that step on one device (benchmarks/README.md). Outside shard_map the name is returned unchanged.
    """
    if axis_name is None:
        return None
    try:
        return None if lax.axis_size(axis_name) == 1 else axis_name
    except NameError:  # not bound here: leave the error, if any, to the collective that uses it
        return axis_name


FULL_FLOAT32 = ('highest', 'float32')
NCHW_CONVOLUTIONS = {'xla_gpu_force_conv_nchw': True}


def step_compiler_options() -> dict:
    """`NCHW_CONVOLUTIONS` on a GPU in full float32 (`jax_default_matmul_precision` 'highest'), else {}.

    Without TF32, cuDNN's float32 convolutions run FFMA kernels that are NCHW-only: given XLA's NHWC layout they
    transpose every operand (benchmarks/README.md, "On a GPU"). Read when the step is built, so set the precision
    before (`JAX_DEFAULT_MATMUL_PRECISION=highest python -m aegan.train ...`).
    """
    if jax.default_backend() != 'gpu' or jax.config.jax_default_matmul_precision not in FULL_FLOAT32:
        return {}
    return NCHW_CONVOLUTIONS


def with_finite_flags(update):
    """`update` that also returns {'metrics': {name: finite?}, 'params': {net: every parameter finite?}}.

    Computed inside the jitted step (a few reductions), read by the loop only when it logs or saves.
    """

    def checked(state, batch, rng):
        state, metrics = update(state, batch, rng)
        all_finite = lambda tree: jnp.all(jnp.array([jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(tree)]))
        flags = {
            'metrics': {name: jnp.all(jnp.isfinite(value)) for name, value in metrics.items()},
            'params': {net: all_finite(params) for net, params in state.params.items()},
        }
        return state, metrics, flags

    return checked


def normal_rows(key, local_shape):
    """N(0, I) noise for this device's rows of a global batch, inside shard_map.

    Draws the *global* batch from the replicated key and keeps this device's slice, so the noise every example
    gets (and hence the step) does not depend on the device count.
    """
    return _global_rows(jax.random.normal, key, local_shape)


def uniform_rows(key, local_shape, minval=0.0, maxval=1.0):
    """U[minval, maxval) noise for this device's rows of a global batch, inside shard_map (see `normal_rows`)."""
    return _global_rows(lambda k, shape: jax.random.uniform(k, shape, minval=minval, maxval=maxval), key, local_shape)


def _global_rows(draw, key, local_shape):
    count, index = lax.axis_size(DATA_AXIS), lax.axis_index(DATA_AXIS)
    rows = local_shape[0]
    full = draw(key, (count * rows, *local_shape[1:]))
    return lax.dynamic_slice_in_dim(full, index * rows, rows)


def pmean(tree):
    """The mean over the devices of the data-parallel step (`collective_axis`); the identity on one device."""
    axis = collective_axis()
    return tree if axis is None else lax.pmean(tree, axis)
