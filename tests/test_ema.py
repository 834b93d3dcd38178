"""The generator's moving average (aegan/ema.py): StyleGAN2-ADA's rule step by step, part of the checkpoint (resumed
bit-exactly, the same on 1 and 4 devices), and what aegan.eval reads by default."""

import chex
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest
from test_checkpointing import assert_trees_identical, load_state

from aegan import ema, methods, parallel, trainer
from aegan import eval as eval_lib


def ema_config(config_factory, steps=12, method='alphagan', dataset='ring8'):
    config = config_factory(dataset, method)
    config.num_train_steps, config.checkpoint_every_steps, config.log_every_steps = steps, 6, 6
    # A half-life of 5 batches, ramped up over the first 100 batches x 0.05: both branches of the min() are taken.
    config.ema = ml_collections.ConfigDict(
        {'half_life_images': 5.0 * config.batch_size, 'rampup': 0.05, 'batch_stats': 'averaged'}
    )
    return config


def test_the_average_follows_stylegan2_adas_rule(config_factory):
    """Every step: beta = 0.5 ** (batch / min(half_life, rampup * images before the step)), computed here in NumPy from
    the raw weights the steps produce."""
    config = ema_config(config_factory, method='dcgan', dataset='stacked_mnist')
    config.ema.half_life_images = 2.0 * config.batch_size  # reached after 40 steps of ramp-up
    method = methods.get_method(config, (28, 28, 3))
    mesh = parallel.make_mesh(jax.devices()[:1])
    state = jax.jit(lambda: method.init(jax.random.key(0), jnp.zeros((1, 28, 28, 3))))()
    step = parallel.shard_step(method.update, mesh)
    batch = np.random.default_rng(0).uniform(-1, 1, (config.batch_size, 28, 28, 3)).astype(np.float32)
    expected = jax.device_get(
        {
            'params': {'generator': state.params['generator']},
            'batch_stats': {'generator': state.batch_stats['generator']},
        }
    )
    assert not state.ema['params'].get('encoder')
    for i in range(45):
        state, metrics = step(state, parallel.to_global_batch(batch, mesh), jax.random.key(1))
        half_life = min(config.ema.half_life_images, config.ema.rampup * i * config.batch_size)
        beta = 0.5 ** (config.batch_size / max(half_life, 1e-8))
        np.testing.assert_allclose(float(metrics['ema_beta']), beta, rtol=1e-6)
        raw = jax.device_get(
            {
                'params': {'generator': state.params['generator']},
                'batch_stats': {'generator': state.batch_stats['generator']},
            }
        )
        expected = jax.tree.map(lambda a, w, b=beta: b * a + (1 - b) * w, expected, raw)
    chex.assert_trees_all_close(jax.device_get(state.ema), expected, rtol=1e-5, atol=1e-7)
    assert not np.allclose(
        expected['params']['generator']['Dense_0']['kernel'], raw['params']['generator']['Dense_0']['kernel']
    )


def test_the_average_is_checkpointed_resumed_bit_exactly_and_the_same_on_1_and_4_devices(tmp_path, config_factory):
    config = ema_config(config_factory, method='ae', dataset='stacked_mnist')  # an encoder: averaged too
    trainer.train_and_evaluate(config, str(tmp_path / 'one'), devices=jax.devices()[:1])
    trainer.train_and_evaluate(config, str(tmp_path / 'four'))
    half = config.copy_and_resolve_references()
    half.num_train_steps = 6
    trainer.train_and_evaluate(half, str(tmp_path / 'resumed'))
    trainer.train_and_evaluate(config, str(tmp_path / 'resumed'))
    four = load_state(tmp_path / 'four', 12)
    assert set(four['ema']['params']) == {'encoder', 'generator'}
    assert set(four['ema']['batch_stats']) == {'encoder', 'generator'}
    assert_trees_identical(load_state(tmp_path / 'resumed', 12), four)
    # test_methods.py's tolerance for 1 vs 4 devices: the all-reduce sums in another order
    chex.assert_trees_all_close(load_state(tmp_path / 'one', 12), four, rtol=1e-5, atol=1e-5)


def test_eval_reads_the_average_by_default_and_the_raw_weights_when_asked(tmp_path, config_factory):
    config = ema_config(config_factory, steps=30)
    trainer.train_and_evaluate(config, str(tmp_path), devices=jax.devices()[:1])
    averaged = eval_lib.evaluate(str(tmp_path), metrics=['mode_coverage'])
    raw = eval_lib.evaluate(str(tmp_path), metrics=['mode_coverage'], weights='raw')
    assert averaged['settings']['weights'] == 'ema' and averaged['json'].endswith('eval_30.json')
    assert raw['settings']['weights'] == 'raw' and raw['json'].endswith('eval_30_raw.json')
    assert averaged['metrics'] != raw['metrics']
    # The same numbers as sampling from a state with the averaged weights swapped in by hand.
    state = trainer.train_and_evaluate(config, str(tmp_path), devices=jax.devices()[:1])  # nothing to do: restores
    swapped = state.replace(params={**state.params, **state.ema['params']})
    key = jax.random.key(0)
    method = methods.get_method(config, (2,))
    np.testing.assert_array_equal(
        jax.device_get(method.sample(ema.weights(state, 'ema', 'raw'), key, 10)),
        jax.device_get(method.sample(swapped, key, 10)),
    )


def test_ema_weights_of_a_run_without_an_average_is_a_clear_error(tmp_path, config_factory):
    config = config_factory('ring8', 'alphagan')
    config.num_train_steps = 10
    trainer.train_and_evaluate(config, str(tmp_path), devices=jax.devices()[:1])
    with pytest.raises(ValueError, match='no averaged weights.*--weights=raw'):
        eval_lib.evaluate(str(tmp_path), metrics=['mode_coverage'], weights='ema')
    assert eval_lib.evaluate(str(tmp_path), metrics=['mode_coverage'])['settings']['weights'] == 'raw'


def test_a_checkpoint_from_before_the_average_existed_still_resumes_and_evaluates(tmp_path, config_factory):
    """A checkpoint an older aegan wrote (a TrainState without the `ema` field) restores into a run without an
    average: resumed by aegan.train, read by aegan.eval, nothing lost."""
    import orbax.checkpoint as ocp

    from aegan import checkpointing

    config = config_factory('ring8', 'alphagan')
    config.num_train_steps = 10
    state = trainer.train_and_evaluate(config, str(tmp_path / 'new'), devices=jax.devices()[:1])
    old = tmp_path / 'old'
    checkpointing.save_config(config, str(old))
    fields = {f: getattr(state, f) for f in ('step', 'params', 'batch_stats', 'opt_state')}  # the state before 'ema'
    with ocp.CheckpointManager(old / 'checkpoints') as manager:
        manager.save(10, args=ocp.args.StandardSave(fields))
    assert 'ema' not in checkpointing._saved_fields(old / 'checkpoints' / '10')
    assert (
        eval_lib.evaluate(str(old), metrics=['mode_coverage'])['metrics']
        == eval_lib.evaluate(str(tmp_path / 'new'), metrics=['mode_coverage'])['metrics']
    )
    config.num_train_steps = 20
    resumed = trainer.train_and_evaluate(config, str(old), devices=jax.devices()[:1])
    assert int(resumed.step) == 20 and resumed.ema == {}
