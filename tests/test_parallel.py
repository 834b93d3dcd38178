"""Data parallelism: the same global batch gives the same update on 1 and on 4 devices.

This is what catches the shard_map pitfall (grad of a per-device loss is already summed over devices, so a pmean of
gradients is 4x too large here), per-device noise, and per-device BatchNorm statistics. Every net trains with plain
SGD here: Adam divides a uniform gradient scale out, so with Adam a 4x gradient would pass unnoticed.
"""

import chex
import flax
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from aegan import data, methods, parallel, xla_cpu
from aegan.configs import sgd
from aegan.methods import api
from aegan.nets.dcgan import Downsampler

TOLERANCE = dict(rtol=1e-5, atol=1e-6)  # measured max |difference|: 1.2e-7 (params), 4.7e-9 (BatchNorm)
SGD_LR = 1e-3


def with_sgd(config):
    """Every net of `config` on plain SGD, so a gradient's scale shows in the parameters."""
    config.optim = {name: sgd(SGD_LR) for name in config.optim}
    return config


def run_steps(method, dataset, config, num_devices, num_steps=2):
    mesh = parallel.make_mesh(jax.devices()[:num_devices])
    example = jnp.zeros((1, *dataset.shape))
    state = jax.jit(lambda: method.init(jax.random.key(0), example), out_shardings=parallel.replicated(mesh))()
    step = parallel.shard_step(method.update, mesh)
    for s in range(num_steps):
        host_batch = dataset.process_batch(config.seed, s, config.batch_size, 0, 1, labelled=method.labelled)
        batch = parallel.to_global_batch(host_batch, mesh)
        state, metrics = step(state, batch, jax.random.key(1))
    return jax.device_get(state), jax.device_get(metrics)


def assert_same_update_on_1_and_4_devices(config, num_steps=2, tolerance=TOLERANCE):
    """Runs `num_steps` updates on 1 and on 4 devices from the same state and batches; every net must have moved
    and every parameter, BatchNorm statistic and metric must agree."""
    dataset = data.get_dataset(config.data)
    method = methods.get_method(config, dataset.shape)
    state1, metrics1 = run_steps(method, dataset, config, 1, num_steps)
    state4, metrics4 = run_steps(method, dataset, config, 4, num_steps)
    initial = jax.device_get(method.init(jax.random.key(0), jnp.zeros((1, *dataset.shape))))
    assert int(state1.step) == int(state4.step) == num_steps
    for name, params in initial.params.items():  # every net trained (a critic's output bias alone may cancel out)
        moved = jax.tree.map(lambda a, a0: not np.array_equal(a, a0), state1.params[name], params)
        assert any(jax.tree.leaves(moved)), f'{name} did not change'
    chex.assert_trees_all_close(state1.params, state4.params, **tolerance)
    chex.assert_trees_all_close(state1.batch_stats, state4.batch_stats, **tolerance)
    chex.assert_trees_all_close(metrics1, metrics4, **tolerance)
    return method, dataset, state1


# The convolutional nets with cross-device BatchNorm once, each encoder loss once: 'joint' changes only which
# cotangents reach the encoder (methods/alphagan.py), which ring8 exercises; joint x stacked_mnist added 46 s to CI.
@pytest.mark.parametrize(
    'encoder_loss, dataset_name', [('paper', 'ring8'), ('joint', 'ring8'), ('paper', 'stacked_mnist')]
)
def test_one_and_four_devices_give_the_same_update(config_factory, dataset_name, encoder_loss):
    config = with_sgd(config_factory(dataset_name))
    config.alphagan.encoder_loss = encoder_loss
    assert_same_update_on_1_and_4_devices(config)


def test_the_device_test_rejects_gradients_scaled_by_the_device_count(config_factory, monkeypatch):
    """The bug the test above names, made on purpose: each net's gradient multiplied by the number of devices (what a
    pmean of already-summed gradients would give, inverted). The comparison must fail."""
    original = api.apply_updates

    def scaled(state, name, grads, optimizer):
        count = jax.lax.axis_size(parallel.DATA_AXIS)
        return original(state, name, jax.tree.map(lambda g: g * count, grads), optimizer)

    monkeypatch.setattr(api, 'apply_updates', scaled)
    with pytest.raises(AssertionError):
        assert_same_update_on_1_and_4_devices(with_sgd(config_factory('ring8')))


def test_batch_size_must_divide_over_devices():
    with pytest.raises(ValueError, match=r'batch_size=18 must be a positive multiple of the number of devices \(4\)'):
        parallel.check_batch_size(18, parallel.make_mesh())


def test_normal_rows_are_the_global_draw():
    mesh = parallel.make_mesh()
    key = jax.random.key(3)
    rows = jax.jit(
        jax.shard_map(
            lambda k: parallel.normal_rows(k, (2, 3)),
            mesh=mesh,
            in_specs=jax.sharding.PartitionSpec(),
            out_specs=jax.sharding.PartitionSpec(parallel.DATA_AXIS),
        )
    )(key)
    np.testing.assert_array_equal(rows, jax.random.normal(key, (8, 3)))


@flax.struct.dataclass
class _Weights:
    step: jax.Array
    w: jax.Array


def _matmul_update(state, batch, rng):
    loss = lambda w: parallel.pmean(jnp.mean(jnp.tanh(batch @ w) ** 2))
    return (state.replace(w=state.w - 0.1 * jax.grad(loss)(state.w)),)


def test_the_step_is_compiled_with_the_compiler_options_it_is_given():
    """`shard_step` hands its compiler options to XLA. Shown on the CPU with the option that keeps XLA:CPU's work
    off YNNPACK, which leaves a mark in the compiled program; the GPU's NCHW option travels the same way."""
    mesh = parallel.make_mesh(jax.devices()[:1])
    state = _Weights(step=jnp.zeros((), jnp.int32), w=jnp.ones((64, 64)))
    batch = parallel.to_global_batch(np.ones((32, 64), np.float32), mesh)

    def compiled_text(options):
        step = parallel.shard_step(_matmul_update, mesh, compiler_options=options)
        return step.lower(state, batch, jax.random.key(0)).compile().as_text()

    assert parallel.step_compiler_options() == {}  # on a CPU the step keeps XLA's defaults
    assert '__ynn_fusion' in compiled_text(None)
    assert '__ynn_fusion' not in compiled_text(xla_cpu.NO_LIBRARY_FUSIONS)


def test_a_one_device_step_has_no_all_reduces_and_a_four_device_step_has_them():
    """A mean over one device is the identity, so `collective_axis()` leaves the step's collectives out there: XLA:CPU
    compiled each of them (47 in the α-GAN stacked_mnist step, 9% of its time). The loss's `pmean` and BatchNorm's
    statistics both go through it; the update's agreement with four devices is the test above."""
    net = Downsampler(1, 28, width=2, axis_name=parallel.DATA_AXIS)
    variables = net.init(jax.random.key(0), jnp.zeros((1, 28, 28, 1)), train=False)

    def update(state, batch, rng):
        def loss(params):
            y, _ = net.apply({**variables, 'params': params}, batch, train=True, mutable=['batch_stats'])
            return parallel.pmean(jnp.mean(y**2))

        return (state.replace(w=jax.tree.map(lambda w, g: w - 0.1 * g, state.w, jax.grad(loss)(state.w))),)

    def all_reduces(num_devices):
        mesh = parallel.make_mesh(jax.devices()[:num_devices])
        state = _Weights(step=jnp.zeros((), jnp.int32), w=variables['params'])
        batch = parallel.to_global_batch(np.ones((8, 28, 28, 1), np.float32), mesh)
        step = parallel.shard_step(update, mesh)
        return step.lower(state, batch, jax.random.key(0)).compile().as_text().count('all-reduce(')

    assert all_reduces(1) == 0
    assert all_reduces(4) > 0


@pytest.mark.parametrize(
    'backend, precision, expected',
    [
        ('gpu', 'highest', parallel.NCHW_CONVOLUTIONS),
        ('gpu', 'float32', parallel.NCHW_CONVOLUTIONS),
        ('gpu', 'tensorfloat32', {}),  # tensor cores: XLA's NHWC layout measured faster (benchmarks/README.md)
        ('gpu', None, {}),  # JAX's default precision runs TF32 convolutions on a GPU
        ('cpu', 'highest', {}),
        ('tpu', 'highest', {}),
    ],
)
def test_only_full_float32_on_a_gpu_gets_nchw_convolutions(monkeypatch, backend, precision, expected):
    monkeypatch.setattr(jax, 'default_backend', lambda: backend)
    with jax.default_matmul_precision(precision):
        assert parallel.step_compiler_options() == expected
