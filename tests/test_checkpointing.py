"""Resumption through the real binary: SIGKILL at any point, SIGTERM (preemption), corrupt checkpoints, config drift."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import orbax.checkpoint as ocp
import pytest

from aegan import checkpointing

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


def load_params(workdir, step):
    tree = ocp.StandardCheckpointer().restore(os.path.join(workdir, 'checkpoints', str(step), 'default'))
    return {'params': tree['params'], 'opt_state': tree['opt_state'], 'step': tree['step']}


def assert_trees_identical(a, b):
    import jax

    leaves_a, leaves_b = jax.tree.leaves(a), jax.tree.leaves(b)
    assert len(leaves_a) == len(leaves_b) > 0
    for x, y in zip(leaves_a, leaves_b):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


@pytest.fixture(scope='module')
def reference(repo, tmp_path_factory):
    """An uninterrupted run."""
    workdir = str(tmp_path_factory.mktemp('reference'))
    run(repo, workdir)
    assert steps(workdir)[-1] == STEPS
    # --config.<key>=<value> overrides reach the run and its saved config.
    saved = checkpointing.load_config(workdir)
    assert saved.num_train_steps == STEPS and saved.alphagan.lambda_rec == 7.5 and saved.data.name == 'ring8'
    return load_params(workdir, STEPS)


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


def test_sigkill_then_resume_gives_identical_parameters(repo, tmp_path, reference):
    workdir = str(tmp_path)
    # Kill twice at different points (mid-training, after the first and the third checkpoint), then finish.
    for after in (10, 30):
        process, _ = kill_when(repo, workdir, lambda w, after=after: any(s >= after for s in steps(w)))
        assert process.returncode == -signal.SIGKILL
        assert steps(workdir) and steps(workdir)[-1] < STEPS, 'the kill came too late to test anything'
    result = run(repo, workdir)
    assert 'Resumed from' in result.stderr
    assert_trees_identical(load_params(workdir, STEPS), reference)


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
    assert_trees_identical(load_params(workdir, STEPS), reference)


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
    assert_trees_identical(load_params(workdir, STEPS), reference)


def test_resuming_with_a_different_config_is_refused(tmp_path, config_factory):
    config = config_factory()
    checkpointing.save_config(config, str(tmp_path))
    before = (tmp_path / 'config.json').read_text()
    config.num_train_steps = 10_000  # allowed: a longer schedule
    checkpointing.save_config(config, str(tmp_path))
    config.alphagan.lambda_rec = 3.0
    with pytest.raises(ValueError, match=r'alphagan.lambda_rec: 10.0 -> 3.0'):
        checkpointing.save_config(config, str(tmp_path))
    saved = checkpointing.load_config(str(tmp_path))
    assert saved.alphagan.lambda_rec == 10.0 and saved.num_train_steps == 10_000
    assert before != (tmp_path / 'config.json').read_text()
