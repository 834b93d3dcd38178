"""PacGAN's synthetic experiment as a config argument (`experiments/<method>_ring8.py:pacgan`): its nets, its
fixed 100,000-point training set, its simultaneous D/G step, and the study suites that run it."""

import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import REPO
from ml_collections import ConfigDict
from test_checkpointing import assert_trees_identical, load_state
from test_parallel import assert_same_update_on_1_and_4_devices, run_steps, with_sgd

from aegan import cli, data, methods, nets, trainer
from aegan.study import runs, suites


def protocol_config(method='dcgan', dataset='ring8'):
    return cli.load_config_file(f'experiments/{method}_{dataset}.py:pacgan')


@pytest.fixture(autouse=True)
def at_repo_root(repo, monkeypatch):
    monkeypatch.chdir(repo)


def test_the_protocol_is_pacgans_table():
    config = protocol_config()
    assert (config.batch_size, config.num_train_steps, config.data.num_train_examples) == (100, 400_000, 100_000)
    model = config.model
    assert (model.hidden, model.activation, model.norm, model.init_std) == ((400,) * 4, 'relu', 'batch', 0.02)
    assert (model.discriminator_hidden, model.discriminator_activation, model.maxout_pieces) == (
        (200,) * 3,
        'maxout',
        5,
    )
    for net in ('generator', 'discriminator'):
        optim = config.optim[net]
        assert (optim.learning_rate, optim.b1, optim.b2, optim.schedule) == (1e-4, 0.8, 0.999, 'constant')
    assert config.dcgan.updates == 'simultaneous' and config.ema.half_life_steps == 0
    assert cli.load_config_file('experiments/dcgan_ring8.py').dcgan.updates == 'alternating'
    alphagan = protocol_config('alphagan', 'grid25')
    assert alphagan.model.code_disc_hidden == (200,) * 3 and set(alphagan.optim) == set(methods.nets_of('alphagan'))
    with pytest.raises(ValueError, match="Unknown protocol 'veegan' for ring8; valid choices: \\['pacgan'\\]"):
        cli.load_config_file('experiments/dcgan_ring8.py:veegan')


def test_pacgans_nets_have_its_layers():
    model = protocol_config().model
    generator = nets.generator(model, (2,))
    variables = generator.init(jax.random.key(0), jnp.zeros((3, 2)))
    layers = variables['params']['MLP_0']
    assert [layers[f'Dense_{i}']['kernel'].shape for i in range(5)] == [
        (2, 400),
        (400, 400),
        (400, 400),
        (400, 400),
        (400, 2),
    ]
    assert [('bias' in layers[f'Dense_{i}']) for i in range(5)] == [False] * 4 + [True]  # BatchNorm's offset instead
    assert set(variables['batch_stats']['MLP_0']) == {f'BatchNorm_{i}' for i in range(4)}
    assert float(jnp.std(layers['Dense_1']['kernel'])) == pytest.approx(0.02, rel=0.02)
    discriminator = nets.discriminator(model, (2,))
    d_params = discriminator.init(jax.random.key(0), jnp.zeros((3, 2)))['params']
    assert [d_params[f'Dense_{i}']['kernel'].shape for i in range(4)] == [(2, 1000), (200, 1000), (200, 1000), (200, 1)]


def test_maxout_is_the_maximum_of_each_units_pieces():
    mlp = nets.MLP((3,), 1, activation='maxout', maxout_pieces=2)
    x = jax.random.normal(jax.random.key(1), (5, 4))
    params = mlp.init(jax.random.key(0), x)['params']
    w, b = np.asarray(params['Dense_0']['kernel']), np.asarray(params['Dense_0']['bias'])
    hidden = (np.asarray(x) @ w + b).reshape(5, 3, 2).max(-1)  # blocks' LinearMaxout: [units, pieces]
    expected = hidden @ np.asarray(params['Dense_1']['kernel']) + np.asarray(params['Dense_1']['bias'])
    np.testing.assert_allclose(mlp.apply({'params': params}, x), expected, rtol=1e-5, atol=1e-6)


def test_the_fixed_training_set_is_visited_once_per_epoch_in_a_new_order():
    dataset = data.get_dataset(ConfigDict({'name': 'ring8', 'num_train_examples': 1000}))
    epoch = lambda seed, e: np.concatenate([dataset.global_batch(seed, s, 100) for s in range(10 * e, 10 * e + 10)])
    first, second = epoch(0, 0), epoch(0, 1)
    assert len(first) == 1000 and 550 < len(np.unique(first, axis=0)) < 720  # a bootstrap resample: ~63% distinct
    np.testing.assert_array_equal(np.unique(first, axis=0), np.unique(second, axis=0))  # the same 1,000 points
    assert not np.array_equal(first, second)  # in another order
    assert not np.array_equal(np.unique(first, axis=0), np.unique(epoch(1, 0), axis=0))  # each seed its own set
    straddling = dataset.global_batch(0, 3, 300)  # a batch across an epoch's end: rows 900-1199
    np.testing.assert_array_equal(straddling, np.concatenate([first[900:], second[:200]]))


def test_a_simultaneous_generator_step_sees_the_discriminator_before_its_step(config_factory):
    """`simultaneous`: G's update is a function of D's weights before the step, so D's learning rate cannot change
    it; `alternating`: G answers the updated D."""

    def generator_after_one_step(updates, d_learning_rate):
        config = with_sgd(config_factory('ring8', 'dcgan'))
        config.optim.discriminator.learning_rate = d_learning_rate
        config.dcgan = dict(updates=updates)
        dataset = data.get_dataset(config.data)
        state, _ = run_steps(methods.get_method(config, dataset.shape), dataset, config, 1, num_steps=1)
        return jax.tree.leaves(state.params['generator'])

    for updates, same in (('simultaneous', True), ('alternating', False)):
        a, b = generator_after_one_step(updates, 1e-6), generator_after_one_step(updates, 0.5)
        assert all(np.array_equal(x, y) for x, y in zip(a, b)) == same, updates


@pytest.mark.usefixtures('fast_compile')
def test_pacgan_nets_give_the_same_update_on_one_and_four_devices(config_factory):
    """BatchNorm over the global batch in the generator, maxout in the discriminator."""
    config = with_sgd(config_factory('ring8', 'dcgan'))
    model = protocol_config().model
    config.model.update(model.to_dict() | {'hidden': (16, 16), 'discriminator_hidden': (8, 8)})
    config.dcgan = dict(updates='simultaneous')
    assert_same_update_on_1_and_4_devices(config, num_steps=2)


def test_the_protocol_suites_run_the_protocol_configs():
    plan = runs.plan('ring8_pacgan', methods=('dcgan', 'alphagan'))
    assert len(plan) == 20 and {run.seed for run in plan} == set(range(10))
    assert {run.config for run in plan} == {'experiments/dcgan_ring8.py:pacgan', 'experiments/alphagan_ring8.py:pacgan'}
    assert {run.num_train_steps for run in plan} == {400_000}
    assert suites.get_suite('grid25_pacgan').anchors['pacgan'][0]['modes'] == 17.3
    # Seeds as one program only where measured faster on a CPU: the small MLPs, not PacGAN's 400-unit nets.
    assert runs.should_group_seeds(runs.plan('ring8', methods=('dcgan',)), 'cpu')
    assert not runs.should_group_seeds(plan, 'cpu')
    # A stage's eval reads the stage's checkpoint, not the newest (a run stopped past it, a root trained on).
    stage = runs.plan('ring8_pacgan', seeds=(0,), methods=('dcgan',), num_train_steps=40_000)[0]
    assert f'--checkpoint={os.path.join("R", "dcgan-pacgan-s0", "checkpoints", "40000")}' in stage.eval_command(
        'R', 'prior'
    )


def test_a_protocol_run_grown_to_a_longer_budget_ends_where_a_straight_run_does(tmp_path):
    """The study trains the protocol in stages (`--steps=40000`, then 400,000 on the same root): with constant
    learning rates and a data order fixed by the step, the resumed run is bit-identical to an uninterrupted one."""
    config = protocol_config()
    config.model.update(hidden=(16, 16), discriminator_hidden=(8, 8))
    config.data.num_train_examples = 1000  # 10 steps an epoch: the runs cross epochs
    config.update(num_train_steps=24, checkpoint_every_steps=12, sample_every_steps=1000, log_every_steps=1000)
    trainer.train_and_evaluate(config, str(tmp_path / 'straight'))
    first = config.copy_and_resolve_references()
    first.num_train_steps = 12
    trainer.train_and_evaluate(first, str(tmp_path / 'grown'))
    trainer.train_and_evaluate(config, str(tmp_path / 'grown'))
    assert_trees_identical(load_state(tmp_path / 'grown', 24), load_state(tmp_path / 'straight', 24))


def test_a_2d_run_saved_before_the_protocol_keys_existed_resumes_under_todays_config(tmp_path):
    """Its config.json lacks model.activation, ..., dcgan.updates: absent, they mean today's defaults, so the run goes
    on; a real change of one of them is still refused."""
    import json

    from aegan import checkpointing

    config = cli.load_config_file('experiments/dcgan_ring8.py')
    config.update(num_train_steps=4, checkpoint_every_steps=4, sample_every_steps=1000, log_every_steps=1000)
    trainer.train_and_evaluate(config, str(tmp_path))
    saved = json.loads((tmp_path / 'config.json').read_text())
    for key in ('activation', 'norm', 'init_std', 'discriminator_hidden', 'discriminator_activation', 'maxout_pieces'):
        del saved['model'][key]
    del saved['data']['num_train_examples'], saved['dcgan']
    (tmp_path / 'config.json').write_text(json.dumps(saved))
    changed = config.copy_and_resolve_references()
    changed.model.norm = 'batch'
    with pytest.raises(ValueError, match=r"different config.*\n  model.norm: None -> 'batch'\nUse a new"):
        checkpointing.save_config(changed, str(tmp_path))
    longer = config.copy_and_resolve_references()
    longer.num_train_steps = 8
    assert int(trainer.train_and_evaluate(longer, str(tmp_path)).step) == 8


@pytest.fixture(scope='module')
def small_protocol_run(tmp_path_factory):
    """A 4-step DCGAN run of the protocol with small nets (BatchNorm in G, as PacGAN's)."""
    config = cli.load_config_file(f'{REPO}/experiments/dcgan_ring8.py:pacgan')
    config.model.update(hidden=(16, 16), discriminator_hidden=(8, 8))
    config.data.num_train_examples = 1000
    config.update(num_train_steps=4, checkpoint_every_steps=4, sample_every_steps=1000, log_every_steps=1000)
    workdir = tmp_path_factory.mktemp('protocol_run')
    trainer.train_and_evaluate(config, str(workdir))
    return str(workdir)


def test_the_eval_refreshes_batchnorm_statistics_with_the_final_generator(small_protocol_run):
    """PacGAN samples after 50 train-mode batches that move G's BatchNorm statistics to its final weights: each pass
    is BatchNorm's own update on a training batch of fresh z, and enough of them forget any earlier statistics."""
    from aegan import eval as aegan_eval
    from aegan import runs as aegan_runs

    assert protocol_config().eval.batchnorm_passes == 50
    assert cli.load_config_file('experiments/dcgan_ring8.py').eval.batchnorm_passes == 0
    run = aegan_runs.restore(small_protocol_run)
    module = nets.generator(run.config.model, (2,))
    params, stats = run.state.params['generator'], run.state.batch_stats['generator']
    key = jax.random.key(7)

    # Two passes are two BatchNorm updates, on prior(fold_in(key, i), batch_size) each.
    expected = stats
    for i in range(2):
        z = run.method.prior(jax.random.fold_in(key, i), run.config.batch_size)
        expected = methods.api.run_net(module, params, expected, z, train=True)[1]
    refreshed = aegan_eval.recompute_batch_stats(run, key, 2).batch_stats['generator']
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6), refreshed, expected)

    # From statistics far off, 300 passes give samples close to those of G with a large batch's own statistics.
    wrong = jax.tree_util.tree_map_with_path(lambda path, v: v - 1.0 if 'mean' in str(path) else v * 4.0, stats)
    off = run._replace(state=run.state.replace(batch_stats={**run.state.batch_stats, 'generator': wrong}))
    z = run.method.prior(jax.random.key(99), 20_000)
    batch_stat_samples = methods.api.run_net(module, params, stats, z, train=True)[0]
    spread = float(jnp.std(batch_stat_samples))
    gap_before = float(jnp.abs(run.method.decode(off.state, z) - batch_stat_samples).mean())
    fixed = jax.device_get(aegan_eval.recompute_batch_stats(off, key, 300))  # replicated over the test's 4 devices
    gap_after = float(jnp.abs(run.method.decode(fixed, z) - batch_stat_samples).mean())
    assert gap_before > 0.5 * spread and gap_after < 0.05 * gap_before


def test_an_eval_with_refreshed_statistics_is_its_own_and_says_so(small_protocol_run, tmp_path):
    """The eval JSON records the passes; an eval with other passes reads other samples, so the earlier JSON is kept
    beside, renamed; a generator without BatchNorm refuses passes in one line."""
    import shutil

    from aegan import eval as aegan_eval

    workdir = tmp_path / 'run'
    shutil.copytree(small_protocol_run, workdir)
    first = aegan_eval.evaluate(str(workdir), metrics=['mode_coverage'])
    assert first['settings']['batchnorm_passes'] == 50  # the run's config.eval
    running = aegan_eval.evaluate(str(workdir), metrics=['mode_coverage'], batchnorm_passes=0)
    assert running['settings']['batchnorm_passes'] == 0
    assert len(list(workdir.glob('eval_4.replaced_*.json'))) == 1
    plain = cli.load_config_file('experiments/dcgan_ring8.py')
    plain.update(num_train_steps=2, checkpoint_every_steps=2, sample_every_steps=1000, log_every_steps=1000)
    trainer.train_and_evaluate(plain, str(tmp_path / 'plain'))
    with pytest.raises(ValueError, match='has no BatchNorm: pass --batchnorm_passes=0'):
        aegan_eval.evaluate(str(tmp_path / 'plain'), metrics=['mode_coverage'], batchnorm_passes=5)
