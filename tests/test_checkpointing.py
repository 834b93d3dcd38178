"""Resumption through the real binary: SIGKILL at any point, SIGTERM (preemption), corrupt checkpoints, config drift."""

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp
import pytest

from aegan import checkpointing, methods, trainer

STEPS = 120


def train_command(workdir, *overrides):
    return [
        sys.executable,
        '-m',
        'aegan.train',
        '--config=tests/configs/tiny.py:alphagan,ring8',
        f'--workdir={workdir}',
        f'--config.num_train_steps={STEPS}',
        '--config.alphagan.lambda_rec=7.5',  # a nested override, checked in `reference`
        *overrides,
    ]


def env():
    return {**os.environ, 'JAX_NUM_CPU_DEVICES': '1'}


def run(repo, workdir, *overrides, check=True):
    result = subprocess.run(
        train_command(workdir, *overrides), cwd=repo, env=env(), capture_output=True, text=True, timeout=300
    )
    if check and result.returncode != 0:
        raise AssertionError(f'train failed ({result.returncode}):\n{result.stderr[-3000:]}')
    return result


def steps(workdir):
    directory = os.path.join(workdir, 'checkpoints')
    return sorted(int(d) for d in os.listdir(directory) if d.isdigit()) if os.path.isdir(directory) else []


TRAIN_STATE_FIELDS = {field.name for field in dataclasses.fields(methods.TrainState)}


def load_state(workdir, step):
    """Checkpoint `step` of `workdir` as saved: every field of the TrainState (params, batch_stats, opt_state, step)."""
    tree = ocp.StandardCheckpointer().restore(os.path.join(workdir, 'checkpoints', str(step), 'default'))
    assert set(tree) == TRAIN_STATE_FIELDS, sorted(tree)
    return tree


def assert_trees_identical(a, b):
    """Same tree structure, and every leaf bit-identical (chex names the leaf that differs)."""
    import chex
    import jax

    assert jax.tree.leaves(a), 'empty tree'
    chex.assert_trees_all_equal(a, b)


# The tests that compare with `reference` run on one xdist worker, which trains it once (a module fixture is built
# by every worker that runs a test using it).
ON_THE_REFERENCE_WORKER = pytest.mark.xdist_group('checkpointing_reference')


@pytest.fixture(scope='module')
def reference(repo, tmp_path_factory):
    """An uninterrupted run."""
    workdir = str(tmp_path_factory.mktemp('reference'))
    run(repo, workdir)
    assert steps(workdir)[-1] == STEPS
    # --config.<key>=<value> overrides reach the run and its saved config.
    saved = checkpointing.load_config(workdir)
    assert saved.num_train_steps == STEPS and saved.alphagan.lambda_rec == 7.5 and saved.data.name == 'ring8'
    # ring8's MLPs have no BatchNorm, so these runs' batch_stats are {}: the resume tests with BatchNorm statistics to
    # compare are test_multihost.py's (2 processes vs 1) and test_tfds.py's (the binary on cifar10).
    return load_state(workdir, STEPS)


def kill_when(repo, workdir, ready, sig=signal.SIGKILL, timeout=120):
    """Starts training, sends `sig` as soon as `ready(workdir)` is true, returns the finished process."""
    process = subprocess.Popen(
        train_command(workdir), cwd=repo, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.time() + timeout
    while not ready(workdir) and process.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=120)
    return process, stderr


@ON_THE_REFERENCE_WORKER
def test_sigkill_then_resume_gives_an_identical_state(repo, tmp_path, reference):
    workdir = str(tmp_path)
    # Kill twice at different points (mid-training, after the first and the third checkpoint), then finish.
    for after in (10, 30):
        process, _ = kill_when(repo, workdir, lambda w, after=after: any(s >= after for s in steps(w)))
        assert process.returncode == -signal.SIGKILL
        assert steps(workdir) and steps(workdir)[-1] < STEPS, 'the kill came too late to test anything'
    result = run(repo, workdir)
    assert 'Resumed from' in result.stderr
    assert_trees_identical(load_state(workdir, STEPS), reference)


@ON_THE_REFERENCE_WORKER
def test_sigterm_saves_and_exits_cleanly_then_resumes(repo, tmp_path, reference):
    workdir = str(tmp_path)
    # No interval checkpoint before the signal: anything saved is the preemption save.
    process, stderr = kill_when(
        repo, workdir, lambda w: os.path.exists(os.path.join(w, 'tensorboard')), sig=signal.SIGTERM
    )
    if process.returncode == 0 and steps(workdir) == [STEPS]:
        pytest.skip('the run finished before SIGTERM arrived')
    assert process.returncode == 0, stderr[-3000:]
    assert 'Preempted' in stderr
    saved = steps(workdir)
    assert len(saved) >= 1 and saved[-1] < STEPS
    result = run(repo, workdir)
    assert f'Resumed from {workdir}/checkpoints/{saved[-1]}' in result.stderr
    assert_trees_identical(load_state(workdir, STEPS), reference)


@ON_THE_REFERENCE_WORKER
def test_corrupt_latest_checkpoint_falls_back_to_previous(repo, tmp_path, reference):
    workdir = str(tmp_path)
    run(repo, workdir, '--config.num_train_steps=20')
    assert steps(workdir) == [10, 20]
    for root, _, files in os.walk(os.path.join(workdir, 'checkpoints', '20')):
        for name in files:
            if os.sep + 'd' + os.sep in os.path.join(root, name) + os.sep:
                with open(os.path.join(root, name), 'wb') as f:
                    f.write(b'not a checkpoint')
    # A half-written save (what a kill during saving leaves) must be ignored, not resumed from.
    os.makedirs(os.path.join(workdir, 'checkpoints', '30.orbax-checkpoint-tmp-1234', 'default'))
    result = run(repo, workdir)
    assert 'Checkpoint at step 20 is unreadable' in result.stderr
    assert f'Resumed from {workdir}/checkpoints/10' in result.stderr
    moved = os.listdir(os.path.join(workdir, 'corrupt_checkpoints'))
    assert len(moved) == 1 and moved[0].startswith('20-')  # kept for the user, not deleted
    assert_trees_identical(load_state(workdir, STEPS), reference)


def test_resuming_with_a_different_config_is_refused(tmp_path, config_factory):
    config = config_factory()
    checkpointing.save_config(config, str(tmp_path))
    (tmp_path / 'checkpoints' / '5').mkdir(parents=True)  # a run: it has a checkpoint
    before = (tmp_path / 'config.json').read_text()
    config.num_train_steps = 10_000  # allowed: a longer schedule
    checkpointing.save_config(config, str(tmp_path))
    config.alphagan.lambda_rec = 3.0
    with pytest.raises(ValueError, match=r'alphagan.lambda_rec: 10.0 -> 3.0'):
        checkpointing.save_config(config, str(tmp_path))
    saved = checkpointing.load_config(str(tmp_path))
    assert saved.alphagan.lambda_rec == 10.0 and saved.num_train_steps == 10_000
    assert before != (tmp_path / 'config.json').read_text()


def test_a_config_without_a_checkpoint_is_replaced(tmp_path, config_factory):
    """A start that failed before its first checkpoint is not a run: the corrected config replaces its config.json."""
    config = config_factory()
    checkpointing.save_config(config, str(tmp_path))
    config.alphagan.lambda_rec = 3.0
    checkpointing.save_config(config, str(tmp_path))
    assert checkpointing.load_config(str(tmp_path)).alphagan.lambda_rec == 3.0


def test_only_process_0_reports_replacing_a_config(tmp_path, config_factory, caplog, monkeypatch):
    """In a multi-process start the other processes can see the config.json that process 0 has just written, before
    any checkpoint: they must not log that an earlier start failed (a SLURM job's log said so). Process 0 writes it
    and says it is replacing one."""
    config = config_factory()
    checkpointing.save_config(config, str(tmp_path))  # what process 0 has just written
    with caplog.at_level('WARNING'):
        monkeypatch.setattr(jax, 'process_index', lambda: 1)
        checkpointing.save_config(config, str(tmp_path))
        assert 'an earlier start failed' not in caplog.text
        monkeypatch.setattr(jax, 'process_index', lambda: 0)
        checkpointing.save_config(config, str(tmp_path))
        assert 'an earlier start failed' in caplog.text


# ---- Restore: corruption vs structure, never a silent restart; NaN; one writer; remote paths. --------------------


def tiny_run(workdir, method='alphagan', steps=20):
    import configs.tiny

    config = configs.tiny.get_config(f'{method},ring8')
    config.num_train_steps, config.log_every_steps = steps, 10
    return config, trainer.train_and_evaluate(config, str(workdir), devices=jax.devices()[:1])


def corrupt_data(step_dir):
    for root, _, files in os.walk(step_dir):
        for name in files:
            if os.sep + 'd' + os.sep in os.path.join(root, name) + os.sep:
                with open(os.path.join(root, name), 'wb') as f:
                    f.write(b'not a checkpoint')


def listing(directory):
    return sorted(os.path.relpath(os.path.join(r, f), directory) for r, _, fs in os.walk(directory) for f in fs)


def test_a_structure_mismatch_names_the_keys_and_moves_nothing(tmp_path):
    config, _ = tiny_run(tmp_path)
    before = listing(tmp_path / 'checkpoints')
    ae_config = config.copy_and_resolve_references()
    ae_config.method = 'ae'  # another state: what a code change or an Orbax-incompatible edit looks like
    method = methods.get_method(ae_config, (2,))
    init = jax.jit(lambda: method.init(jax.random.key(0), np.zeros((1, 2), np.float32)))
    manager = checkpointing.make_manager(str(tmp_path), config)
    with pytest.raises(checkpointing.StructureMismatchError, match=r'(?s)only in the checkpoint: opt_state.discrim.*'):
        checkpointing.restore_or_init(manager, init, str(tmp_path))
    assert listing(tmp_path / 'checkpoints') == before and not (tmp_path / 'corrupt_checkpoints').exists()


def test_when_no_checkpoint_is_readable_the_run_stops_and_moves_nothing(repo, tmp_path):
    run(repo, str(tmp_path), '--config.num_train_steps=20')
    for step in (10, 20):
        corrupt_data(tmp_path / 'checkpoints' / str(step))
    before = listing(tmp_path / 'checkpoints')
    result = run(repo, str(tmp_path), check=False)
    assert result.returncode == 1
    assert 'No checkpoint under' in result.stderr and 'did not start again from step 0' in result.stderr
    assert 'aegan.train stopped: No checkpoint under' in result.stderr
    assert f'src{os.sep}aegan{os.sep}' not in result.stderr  # a message, no traceback through our code
    assert listing(tmp_path / 'checkpoints') == before and not (tmp_path / 'corrupt_checkpoints').exists()


def test_a_non_finite_step_is_never_saved_and_stops_the_run(tmp_path, monkeypatch):
    """NaN injected into the generator from step 15 on: checkpoint 10 stays, 20 is never written, the error names
    the step, the loss terms and the network."""
    real_get_method = methods.get_method

    def poisoned(config, shape):
        method = real_get_method(config, shape)

        def update(state, x, rng):
            state, metrics = method.update(state, x, rng)
            bad = state.step >= 15
            params = jax.tree.map(lambda p: jnp.where(bad, jnp.nan, p), state.params['generator'])
            metrics = {**metrics, 'g_loss': jnp.where(bad, jnp.nan, metrics['g_loss'])}
            return state.replace(params={**state.params, 'generator': params}), metrics

        return dataclasses.replace(method, update=update)

    monkeypatch.setattr(methods, 'get_method', poisoned)
    with pytest.raises(
        trainer.NonFiniteError,
        match=r"Step 20: non-finite values in loss term.*'g_loss'.*network.*'generator'.*up to step 10",
    ):
        tiny_run(tmp_path, steps=40)
    assert steps(str(tmp_path)) == [10]
    saved = load_state(str(tmp_path), 10)
    assert all(np.all(np.isfinite(leaf)) for leaf in jax.tree.leaves(saved))


def test_a_diverging_config_stops_with_a_message_and_exit_status_1(repo, tmp_path):
    result = run(repo, str(tmp_path), '--config.optim.discriminator.learning_rate=1e38', check=False)
    assert result.returncode == 1, result.stderr[-2000:]
    assert 'non-finite values' in result.stderr and 'with a lower learning rate' in result.stderr
    assert 'aegan.train stopped: Step ' in result.stderr and f'src{os.sep}aegan{os.sep}' not in result.stderr
    for step in steps(str(tmp_path)):
        assert all(np.all(np.isfinite(leaf)) for leaf in jax.tree.leaves(load_state(str(tmp_path), step)))


def test_a_second_run_on_a_live_workdir_is_refused(tmp_path):
    import socket

    from aegan import locking

    live = subprocess.Popen(['sleep', '60'])
    try:
        (tmp_path / locking.LOCK_FILE).write_text(
            json.dumps({'host': socket.gethostname(), 'pid': live.pid, 'time': time.time()})
        )
        with pytest.raises(locking.WorkdirInUseError, match=rf'host {socket.gethostname()}, pid {live.pid}'):
            tiny_run(tmp_path)
        assert listing(tmp_path) == [locking.LOCK_FILE]  # nothing of the refused run was written
    finally:
        live.kill()
        live.wait()


def test_a_stale_lock_is_taken_over_with_a_warning(tmp_path, caplog):
    import socket

    from aegan import locking

    dead = subprocess.Popen(['true'])
    dead.wait()
    (tmp_path / locking.LOCK_FILE).write_text(
        json.dumps({'host': socket.gethostname(), 'pid': dead.pid, 'time': time.time()})
    )
    with caplog.at_level('WARNING'):
        tiny_run(tmp_path)
    assert f'Taking over the stale lock {tmp_path / locking.LOCK_FILE}' in caplog.text
    assert steps(str(tmp_path)) == [10, 20] and not (tmp_path / locking.LOCK_FILE).exists()  # released at the end


def test_remote_workdirs_are_never_rewritten_into_local_paths(monkeypatch):
    from aegan import locking

    for uri in ('gs://bucket/runs/a', 's3://bucket/a'):
        assert str(checkpointing.workdir_path(uri)) == uri
        assert str(checkpointing.config_path(uri)) == uri + '/config.json'
    assert str(checkpointing.workdir_path('relative/run')) == os.path.abspath('relative/run')
    seen = []

    def record(self):
        seen.append(str(self.path))
        raise KeyboardInterrupt  # stop before any I/O

    monkeypatch.setattr(locking.WorkdirLock, 'acquire', record)
    import configs.tiny

    with pytest.raises(KeyboardInterrupt):
        trainer.train_and_evaluate(configs.tiny.get_config(), 'gs://bucket/runs/a', devices=jax.devices()[:1])
    assert seen == ['gs://bucket/runs/a/aegan.lock']
