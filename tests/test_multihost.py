"""Multi-host training for real: 2 processes x 2 CPU devices joined by jax.distributed (gloo), started with
launch/local_multiprocess.sh, against 1 process x 4 devices on the same global batches (tiny TFDS CIFAR-10: each
process reads its own rows; cross-device BatchNorm), plus resumption and coordinated preemption."""

import os
import signal
import socket
import subprocess
import sys
import time

import chex
import jax
import numpy as np
from test_checkpointing import TRAIN_STATE_FIELDS, load_state, steps
from test_tfds import FAST_COMPILE

# Same tolerance as the in-process 1-vs-4-device test: the all-reduce order differs between gloo and XLA:CPU.
TOLERANCE = dict(rtol=1e-5, atol=1e-6)
STEPS = 6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('localhost', 0))
        return s.getsockname()[1]


def cifar_flags(workdir, data_dir, num_steps):
    return [
        '--config=tests/configs/tiny.py:alphagan,cifar10',
        f'--workdir={workdir}',
        f'--config.data.data_dir={data_dir}',
        f'--config.num_train_steps={num_steps}',
        '--config.batch_size=8',
        '--config.checkpoint_every_steps=3',
    ]


def load_onto_one_device(workdir, step):
    """A checkpoint written by several processes, restored here (Orbax needs target shardings for another topology)."""
    import orbax.checkpoint as ocp

    path = os.path.join(workdir, 'checkpoints', str(step), 'default')
    metadata = ocp.StandardCheckpointer().metadata(path)
    device = jax.sharding.SingleDeviceSharding(jax.devices()[0])
    tree = getattr(metadata, 'item_metadata', metadata)
    target = jax.tree.map(lambda m: jax.ShapeDtypeStruct(m.shape, m.dtype, sharding=device), tree)
    restored = ocp.StandardCheckpointer().restore(path, target)
    assert set(restored) == TRAIN_STATE_FIELDS, sorted(restored)
    return restored  # every field of the TrainState: params, batch_stats, opt_state, step


def launch(repo, processes, devices, flags, timeout=400):
    """Runs launch/local_multiprocess.sh; returns (exit status, [log of each process])."""
    workdir = next(f.split('=', 1)[1] for f in flags if f.startswith('--workdir='))
    env = {**os.environ, **FAST_COMPILE, 'PORT': str(free_port()), 'PYTHON': sys.executable}
    script = str(repo / 'launch' / 'local_multiprocess.sh')
    result = subprocess.run(
        ['bash', script, str(processes), str(devices), *flags], cwd=repo, env=env, capture_output=True, timeout=timeout
    )
    logs = [open(os.path.join(workdir, 'logs', f'process_{i}.log')).read() for i in range(processes)]
    return result.returncode, logs


def test_two_processes_match_one_process_and_resume(repo, tmp_path, tfds_data_dir):
    status, logs = launch(repo, 1, 4, cifar_flags(tmp_path / 'one', tfds_data_dir, STEPS))
    assert status == 0, logs[0][-3000:]
    assert '1 processes x 8; per device 2 (4 devices)' in logs[0]

    two = tmp_path / 'two'
    status, logs = launch(repo, 2, 2, cifar_flags(two, tfds_data_dir, STEPS // 2))
    assert status == 0, '\n'.join(log[-2000:] for log in logs)
    assert all('process 1 of 2' in logs[1] and '2 processes x 4; per device 2 (4 devices)' in log for log in logs)
    assert steps(two) == [STEPS // 2]
    status, logs = launch(repo, 2, 2, cifar_flags(two, tfds_data_dir, STEPS))
    assert status == 0, '\n'.join(log[-2000:] for log in logs)
    assert all(f'Resumed from {two}/checkpoints/{STEPS // 2}' in log for log in logs)

    reference, resumed = load_state(tmp_path / 'one', STEPS), load_onto_one_device(two, STEPS)
    # cifar10's dcgan nets have BatchNorm (statistics over the global batch): their running statistics are compared
    # too, and nothing else would show them wrong (training-mode BatchNorm never reads them).
    assert set(reference['batch_stats']) == {'encoder', 'generator', 'discriminator'}
    worst = max(
        float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
        for a, b in zip(*map(jax.tree.leaves, (reference, resumed)))
    )
    print(f'max |state(2 processes x 2) - state(1 process x 4)| = {worst:.2e}')
    chex.assert_trees_all_close(resumed, reference, **TOLERANCE)
    # Metric files come from process 0 only: one event file per launch (2 launches), not one per process.
    assert len(os.listdir(two / 'tensorboard')) == 2


def test_sigterm_to_every_process_saves_one_agreed_step_then_resumes(repo, tmp_path):
    """What SLURM or a TPU VM does at preemption: SIGTERM to all processes. JAX's preemption service makes them agree
    on one step; all save it, exit 0, and the rerun resumes from it."""
    workdir = tmp_path / 'run'
    flags = [
        '--config=tests/configs/tiny.py:alphagan,ring8',
        f'--workdir={workdir}',
        '--config.num_train_steps=100000',
        '--config.checkpoint_every_steps=100000',
    ]
    env = {**os.environ, **FAST_COMPILE, 'PORT': str(free_port()), 'PYTHON': sys.executable}
    launcher = subprocess.Popen(
        ['bash', str(repo / 'launch' / 'local_multiprocess.sh'), '2', '2', *flags], cwd=repo, env=env
    )
    logs = [workdir / 'logs' / f'process_{i}.log' for i in range(2)]
    deadline = time.time() + 240
    while time.time() < deadline and launcher.poll() is None:  # wait until both are training
        if all(log.exists() and '] [' in log.read_text() for log in logs):
            break
        time.sleep(0.5)
    launcher.send_signal(signal.SIGTERM)  # the launcher forwards it to every process
    assert launcher.wait(timeout=120) == 0
    texts = [log.read_text() for log in logs]
    assert all('Preempted: saved the checkpoint of step' in text for text in texts), texts[0][-2000:]
    saved = steps(workdir)
    assert len(saved) == 1 and all(f'step {saved[0]};' in text for text in texts)

    flags[2] = f'--config.num_train_steps={saved[0] + 5}'
    status, texts = launch(repo, 2, 2, flags)
    assert status == 0 and all(f'Resumed from {workdir}/checkpoints/{saved[0]}' in text for text in texts)
    assert steps(workdir)[-1] == saved[0] + 5


def test_two_processes_agree_on_a_corrupt_checkpoint_and_move_it_once(repo, tmp_path):
    """Both processes find checkpoint 20 unreadable, resume from 10 together; process 0 alone moves 20 aside."""
    from test_checkpointing import corrupt_data

    workdir = tmp_path / 'run'
    flags = [
        '--config=tests/configs/tiny.py:alphagan,ring8',
        f'--workdir={workdir}',
        '--config.num_train_steps=20',
        '--config.checkpoint_every_steps=10',
    ]
    status, logs = launch(repo, 2, 2, flags)
    assert status == 0 and steps(workdir) == [10, 20], logs[0][-2000:]
    corrupt_data(workdir / 'checkpoints' / '20')
    flags[2] = '--config.num_train_steps=30'
    status, logs = launch(repo, 2, 2, flags)
    assert status == 0, '\n'.join(log[-2000:] for log in logs)
    assert all(f'Resumed from {workdir}/checkpoints/10' in log for log in logs)
    assert 'Moved the unreadable checkpoint 20' in logs[0] and 'Moved the unreadable checkpoint' not in logs[1]
    moved = os.listdir(workdir / 'corrupt_checkpoints')
    assert len(moved) == 1 and moved[0].startswith('20-') and steps(workdir)[-1] == 30
