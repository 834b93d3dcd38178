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
    # A half-life of 5 steps, reached after 100 steps of ramp-up at 0.05.
    config.ema = ml_collections.ConfigDict({'half_life_steps': 5.0, 'rampup': 0.05, 'batch_stats': 'averaged'})
    return config


def test_the_average_follows_stylegan2_adas_rule(config_factory):
    """Every step: StyleGAN2-ADA's beta = 0.5 ** (batch / min(half-life in images, rampup * images before the step)),
    computed here in NumPy in images, from the raw weights the steps produce."""
    config = ema_config(config_factory, method='dcgan', dataset='stacked_mnist')
    config.ema.half_life_steps = 2.0  # reached after 40 steps of ramp-up: both branches of the min() are taken
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
    for i in range(45):
        state, metrics = step(state, parallel.to_global_batch(batch, mesh), jax.random.key(1))
        half_life = min(config.ema.half_life_steps * config.batch_size, config.ema.rampup * i * config.batch_size)
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


def test_the_averaged_generator_uses_the_batchnorm_statistics_its_config_names(tmp_path, config_factory):
    """`ema.weights`: the averaged parameters with the trained generator's statistics ('raw') or their average
    ('averaged'); aegan.eval's samples are those of that state."""
    config = ema_config(config_factory, method='dcgan', dataset='stacked_mnist')
    state = trainer.train_and_evaluate(config, str(tmp_path), devices=jax.devices()[:1])
    raw_stats = ema.weights(state, 'ema', 'raw')
    averaged_stats = ema.weights(state, 'ema', 'averaged')
    for swapped in (raw_stats, averaged_stats):
        chex.assert_trees_all_equal(swapped.params['generator'], state.ema['params']['generator'])
        chex.assert_trees_all_equal(swapped.params['discriminator'], state.params['discriminator'])
    chex.assert_trees_all_equal(raw_stats.batch_stats['generator'], state.batch_stats['generator'])
    chex.assert_trees_all_equal(averaged_stats.batch_stats['generator'], state.ema['batch_stats']['generator'])
    assert not np.allclose(*(jax.tree.leaves(s.batch_stats['generator'])[0] for s in (raw_stats, averaged_stats)))
    method = methods.get_method(config, (28, 28, 3))
    key = jax.random.key(0)
    draw = lambda s: np.asarray(jax.device_get(eval_lib.sample_on_all_devices(method, s, key, 8)))  # noqa: E731
    assert not np.allclose(draw(raw_stats), draw(averaged_stats))  # the statistics matter to the samples


def test_ema_weights_of_a_run_without_an_average_is_a_clear_error(tmp_path, config_factory):
    config = config_factory('ring8', 'alphagan')
    config.num_train_steps = 10
    trainer.train_and_evaluate(config, str(tmp_path), devices=jax.devices()[:1])
    with pytest.raises(ValueError, match='no averaged weights.*--weights=raw'):
        eval_lib.evaluate(str(tmp_path), metrics=['mode_coverage'], weights='ema')
    assert eval_lib.evaluate(str(tmp_path), metrics=['mode_coverage'])['settings']['weights'] == 'raw'


def test_a_checkpoint_from_before_the_average_existed_still_resumes_and_evaluates(tmp_path, config_factory):
    """A run an older aegan wrote (a config without `ema`, a TrainState without the field) is read by aegan.eval and
    resumed by aegan.train with today's config, without an average: nothing lost, nothing refused."""
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
    # Resumed with today's config, which has an ema section (every experiments/ config does): the run goes on as it
    # was started, without an average, rather than being refused as a changed config.
    today = ema_config(config_factory, steps=20)
    resumed = trainer.train_and_evaluate(today, str(old), devices=jax.devices()[:1])
    assert int(resumed.step) == 20 and resumed.ema == {}
    assert 'ema' not in checkpointing.load_config(str(old))
