"""Data parallelism: the same global batch gives the same update on 1 and on 4 devices.

This is what catches the shard_map pitfall (grad of a per-device loss is already summed over devices, so a pmean of
gradients is 4x too large here), per-device noise, and per-device BatchNorm statistics.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from aegan import data, methods, parallel

TOLERANCE = dict(rtol=1e-5, atol=1e-6)  # measured max |difference|: 1.2e-7 (params), 4.7e-9 (BatchNorm)


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


@pytest.mark.parametrize('dataset_name', ['ring8', 'stacked_mnist'])
def test_one_and_four_devices_give_the_same_update(config_factory, dataset_name):
    config = config_factory(dataset_name)
    dataset = data.get_dataset(config.data)
    method = methods.get_method(config, dataset.shape)
    state1, metrics1 = run_steps(method, dataset, config, 1)
    state4, metrics4 = run_steps(method, dataset, config, 4)
    initial = jax.device_get(method.init(jax.random.key(0), jnp.zeros((1, *dataset.shape))))
    assert int(state1.step) == int(state4.step) == 2
    leaves = zip(
        jax.tree_util.tree_leaves_with_path(state1.params),
        jax.tree.leaves(state4.params),
        jax.tree.leaves(initial.params),
    )
    for (path, a), b, a0 in leaves:
        np.testing.assert_allclose(a, b, err_msg=jax.tree_util.keystr(path), **TOLERANCE)
        assert not np.array_equal(a, a0), f'{jax.tree_util.keystr(path)} did not change'
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, **TOLERANCE), state1.batch_stats, state4.batch_stats)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, **TOLERANCE), metrics1, metrics4)


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
