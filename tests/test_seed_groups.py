"""K seeds trained as one program (`aegan.train --seeds=...`): each seed is exactly its separate run, resumes
bit-exactly, is saved on SIGTERM, runs data-parallel on 4 devices and 2 processes, and a non-finite seed costs the
others nothing."""

import dataclasses
import os
import signal
import subprocess
import time

import chex
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest
from test_checkpointing import assert_trees_identical, load_state, steps, train_command
from test_multihost import cifar_flags, launch, load_onto_one_device

from aegan import checkpointing, methods, trainer

# Plain SGD: a replica whose gradients were scaled or mixed with another seed's would move differently (Adam would
# divide a uniform scale out).
SGD = dict(kind='sgd', learning_rate=0.05)
TOLERANCE = dict(rtol=1e-5, atol=1e-5)  # float rounding near 0 (5e-6 seen); a mixed-up gradient is ~1e-2
# A vmapped convolution is a grouped one, which XLA:CPU rounds differently: 2.1e-5 seen on one machine's CPU.
VMAPPED_CONV_TOLERANCE = dict(rtol=1e-5, atol=1e-4)


def sgd_config(config_factory, method, dataset, steps=6):
    """The tiny config with plain SGD and the generator's moving average (as every experiment config has it), so that
    the average's update is vmapped, unrolled, resumed and compared too."""
    config = config_factory(dataset, method)
    config.num_train_steps, config.checkpoint_every_steps, config.log_every_steps = steps, 3, 3
    config.optim = {net: dict(SGD) for net in config.optim}
    config.ema = ml_collections.ConfigDict({'half_life_steps': 2.0, 'rampup': 0.5, 'batch_stats': 'raw'})
    return config


@pytest.mark.parametrize('replicas', ['vmap', 'unroll'])
@pytest.mark.parametrize(
    'method,dataset',
    [('alphagan', 'ring8'), ('dcgan', 'stacked_mnist')],  # MLPs; conv nets with cross-device BatchNorm
)
def test_each_seed_of_a_group_is_its_separate_run(tmp_path, config_factory, fast_compile, method, dataset, replicas):
    """Seeds 3 and 5 as one program on 4 devices against seed 5 trained alone on 4 devices: the same init, noise and
    data order, so the same parameters, BatchNorm statistics and optimizer state after the last step."""
    config = sgd_config(config_factory, method, dataset)
    trainer.train_and_evaluate(config, str(tmp_path / 'group'), seeds=[3, 5], replicas=replicas)
    alone = config.copy_and_resolve_references()
    alone.seed = 5
    trainer.train_and_evaluate(alone, str(tmp_path / 'alone'))

    grouped, separate = load_state(tmp_path / 'group' / 'seed_5', 6), load_state(tmp_path / 'alone', 6)
    assert jax.tree.leaves(separate['ema'])  # the average is compared too
    conv_vmap = replicas == 'vmap' and dataset != 'ring8'
    chex.assert_trees_all_close(grouped, separate, **(VMAPPED_CONV_TOLERANCE if conv_vmap else TOLERANCE))
    other = load_state(tmp_path / 'group' / 'seed_3', 6)  # and the other seed is another run
    assert not all(np.allclose(a, b) for a, b in zip(jax.tree.leaves(other), jax.tree.leaves(separate), strict=True))
    assert checkpointing.load_config(tmp_path / 'group' / 'seed_3').seed == 3
    assert checkpointing.load_config(tmp_path / 'group' / 'seed_5').seed == 5


def test_a_group_resumes_bit_exactly(tmp_path, config_factory):
    config = sgd_config(config_factory, 'alphagan', 'ring8', steps=12)
    trainer.train_and_evaluate(config, str(tmp_path / 'straight'), seeds=[0, 1])
    half = config.copy_and_resolve_references()
    half.num_train_steps = 6
    trainer.train_and_evaluate(half, str(tmp_path / 'resumed'), seeds=[0, 1])
    trainer.train_and_evaluate(config, str(tmp_path / 'resumed'), seeds=[0, 1])
    for seed in (0, 1):
        assert_trees_identical(
            load_state(tmp_path / 'resumed' / f'seed_{seed}', 12),
            load_state(tmp_path / 'straight' / f'seed_{seed}', 12),
        )


def test_the_seeds_of_a_group_must_be_at_the_same_step(tmp_path, config_factory):
    config = sgd_config(config_factory, 'alphagan', 'ring8')
    alone = config.copy_and_resolve_references()
    alone.seed, alone.num_train_steps = 1, 3
    trainer.train_and_evaluate(alone, str(tmp_path / 'seed_1'))
    with pytest.raises(ValueError, match=r'seed 0 at step 0, seed 1 at step 3.*--seeds=<one of them>'):
        trainer.train_and_evaluate(config, str(tmp_path), seeds=[0, 1])


def group_command(workdir, seeds='0,1,2'):
    return train_command(
        workdir, f'--seeds={seeds}', '--config.num_train_steps=300', '--config.checkpoint_every_steps=1000'
    )


def test_sigterm_saves_every_seed_of_a_group_then_it_resumes(repo, tmp_path):
    env = {**os.environ, 'JAX_NUM_CPU_DEVICES': '1'}
    straight = subprocess.run(group_command(tmp_path / 'straight'), cwd=repo, env=env, capture_output=True, text=True)
    assert straight.returncode == 0, straight.stderr[-3000:]

    workdir = tmp_path / 'preempted'
    process = subprocess.Popen(
        group_command(workdir), cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.time() + 120
    while not (workdir / 'seed_2' / 'tensorboard').exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    saved = [steps(workdir / f'seed_{s}') for s in range(3)]
    if process.returncode == 0 and saved[0] == [300]:
        pytest.skip('the run finished before SIGTERM arrived')
    assert process.returncode == 0 and 'Preempted' in stderr, stderr[-3000:]
    assert saved[0] and saved[0][-1] < 300 and saved == [saved[0]] * 3  # every seed saved, at the same step

    resumed = subprocess.run(group_command(workdir), cwd=repo, env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    for s in range(3):
        assert f'Resumed from {workdir}/seed_{s}/checkpoints/{saved[0][-1]}' in resumed.stderr
        assert_trees_identical(
            load_state(workdir / f'seed_{s}', 300), load_state(tmp_path / 'straight' / f'seed_{s}', 300)
        )


def poison_seed(monkeypatch, seed, from_step):
    """NaN in `seed`'s generator from step `from_step` on. A replica does not know its seed, so it recognises its own
    step key: fold_in(split(key(seed), 3)[1], step), as trainer._train_locked draws it."""
    real_get_method = methods.get_method
    step_key = jax.random.split(jax.random.key(seed), 3)[1]

    def poisoned(config, shape):
        method = real_get_method(config, shape)

        def update(state, x, rng):
            mine = jnp.all(jax.random.key_data(rng) == jax.random.key_data(jax.random.fold_in(step_key, state.step)))
            state, metrics = method.update(state, x, rng)
            bad = mine & (state.step >= from_step)
            params = jax.tree.map(lambda p: jnp.where(bad, jnp.nan, p), state.params['generator'])
            return state.replace(params={**state.params, 'generator': params}), metrics

        return dataclasses.replace(method, update=update)

    monkeypatch.setattr(methods, 'get_method', poisoned)


def test_a_non_finite_seed_is_never_saved_and_the_others_keep_their_progress(tmp_path, config_factory, monkeypatch):
    config = sgd_config(config_factory, 'alphagan', 'ring8', steps=40)
    config.checkpoint_every_steps, config.log_every_steps = 10, 5
    poison_seed(monkeypatch, seed=1, from_step=12)
    with pytest.raises(
        trainer.NonFiniteError,
        match=r"Step 15: non-finite values in seed\(s\) \[1\].*'generator'.*up to step 10 are kept.*saved at step 15: "
        r'continue them with --seeds=0,2',
    ):
        trainer.train_and_evaluate(config, str(tmp_path), seeds=[0, 1, 2])
    assert steps(tmp_path / 'seed_0') == steps(tmp_path / 'seed_2') == [10, 15]
    assert steps(tmp_path / 'seed_1') == [10]
    for s in (0, 1, 2):
        saved = load_state(tmp_path / f'seed_{s}', steps(tmp_path / f'seed_{s}')[-1])
        assert all(np.all(np.isfinite(leaf)) for leaf in jax.tree.leaves(saved))
    monkeypatch.undo()
    trainer.train_and_evaluate(config, str(tmp_path), seeds=[0, 2])  # as the message says
    assert steps(tmp_path / 'seed_0')[-1] == steps(tmp_path / 'seed_2')[-1] == 40


def test_a_group_on_two_processes_matches_one_process(repo, tmp_path, tfds_data_dir):
    """2 processes x 2 devices against 1 x 4 for a group of two seeds (conv nets, cross-device BatchNorm): each
    process reads its own rows of every seed's batch."""
    flags = lambda workdir: [*cifar_flags(workdir, tfds_data_dir, 4), '--seeds=0,1', '--replicas=vmap']  # noqa: E731
    status, logs = launch(repo, 1, 4, flags(tmp_path / 'one'))
    assert status == 0, logs[0][-3000:]
    status, logs = launch(repo, 2, 2, flags(tmp_path / 'two'))
    assert status == 0, '\n'.join(log[-2000:] for log in logs)
    for seed in (0, 1):
        one = load_onto_one_device(tmp_path / 'one' / f'seed_{seed}', 4)
        two = load_onto_one_device(tmp_path / 'two' / f'seed_{seed}', 4)
        chex.assert_trees_all_close(one, two, **TOLERANCE)
