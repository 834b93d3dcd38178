"""The cluster path for real: launch/slurm_gpu.sbatch (the script users adapt) and the study's SLURM array run on a
throw-away single-node SLURM cluster (launch/local_slurm.sh), 2 tasks x 1 CPU device. Skipped, with the reason, only
where that cluster cannot start (no root, slurm-wlm/munge not installed)."""

import glob
import json
import os
import re
import subprocess
import sys
import time

import chex
import pytest
from test_multihost import TOLERANCE, load_onto_one_device

# One cluster per machine (two slurmd daemons for one host name collide): every test of this module runs on the same
# xdist worker (`--dist loadgroup`, in the README's test command).
pytestmark = pytest.mark.xdist_group('slurm')
STEPS = ['--config.log_every_steps=20', '--config.sample_every_steps=1000']


@pytest.fixture(scope='module')
def cluster(repo, tmp_path_factory):
    """SLURM_CONF of a running local cluster (started here, stopped after the module)."""
    directory = tmp_path_factory.mktemp('slurm')
    start = subprocess.run(
        ['bash', 'launch/local_slurm.sh', 'start', str(directory)],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if start.returncode == 2:
        pytest.skip(start.stderr.strip())
    assert start.returncode == 0, start.stderr
    yield str(directory / 'slurm.conf')
    subprocess.run(['bash', 'launch/local_slurm.sh', 'stop', str(directory)], cwd=repo, timeout=60)


def submit(repo, conf, workdir, train_args, *options) -> tuple[str, subprocess.Popen]:
    """`sbatch --wait launch/slurm_gpu.sbatch` with CPU resources and the run's settings overridden from the command
    line (values travel in the environment: --export=ALL, because --export cannot hold commas), left running.
    Returns (job id, the waiting sbatch), whose exit status is the job's: 0 when every task exited 0. A job's end is
    read from it, not from `scontrol show job`, which forgets a finished job within seconds (MinJobAge,
    launch/local_slurm.sh)."""
    env = {
        **os.environ,
        'SLURM_CONF': conf,
        'VENV': '',
        'CONFIG': 'experiments/alphagan_ring8.py',
        'WORKDIR': str(workdir),
        'DATA_DIR': '',
        'JAX_PLATFORMS': 'cpu',
        'JAX_NUM_CPU_DEVICES': '1',
        'TRAIN_ARGS': ' '.join([*STEPS, *train_args]),
    }
    command = ['sbatch', '--parsable', '--wait', '--nodes=1', '--ntasks-per-node=2', '--cpus-per-task=1']
    command += ['--gpus-per-task=0', f'--output={workdir}.%j.out', '--export=ALL', *options, 'launch/slurm_gpu.sbatch']
    waiting = subprocess.Popen(command, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    job = waiting.stdout.readline().strip().split(';')[0]  # printed at submission
    assert job, waiting.communicate()[1]
    return job, waiting


def sbatch(repo, conf, workdir, train_args, *options) -> tuple[str, int]:
    """`submit`, waited for: (job id, the job's exit status)."""
    job, waiting = submit(repo, conf, workdir, train_args, *options)
    return job, waiting.wait(timeout=600)


def log_of(workdir, job) -> str:
    with open(f'{workdir}.{job}.out') as f:
        return f.read()


def test_two_slurm_tasks_train_like_one_process_with_two_devices(repo, cluster, tmp_path):
    workdir = tmp_path / 'slurm'
    job, status = sbatch(repo, cluster, workdir, ['--config.num_train_steps=60', '--config.checkpoint_every_steps=60'])
    log = log_of(workdir, job)
    assert status == 0, log[-3000:]  # the job completed: every task exited 0
    assert 'process 0 of 2' in log and 'process 1 of 2' in log and 'Global batch 128 = 2 processes x 64' in log
    assert len(re.findall(r'\] \[60\] c_loss=', log)) == 2  # both processes reached the final step
    assert len(os.listdir(workdir / 'tensorboard')) == 1  # metrics from process 0 only
    assert (workdir / 'checkpoints' / '60' / 'default').is_dir()
    single = tmp_path / 'single'
    command = [sys.executable, '-m', 'aegan.train', '--config=experiments/alphagan_ring8.py', f'--workdir={single}']
    command += [*STEPS, '--config.num_train_steps=60', '--config.checkpoint_every_steps=60']
    env = {**os.environ, 'JAX_PLATFORMS': 'cpu', 'JAX_NUM_CPU_DEVICES': '2'}
    assert subprocess.run(command, cwd=repo, env=env, capture_output=True, timeout=600).returncode == 0
    chex.assert_trees_all_close(load_onto_one_device(workdir, 60), load_onto_one_device(single, 60), **TOLERANCE)


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(1)
    raise AssertionError(f'timed out waiting for {what}')


def logged_step(workdir, job, step) -> bool:
    path = f'{workdir}.{job}.out'
    return os.path.exists(path) and f'[{step}] c_loss=' in open(path).read()


def test_slurm_sigterm_saves_one_step_in_every_process_and_resubmission_resumes(repo, cluster, tmp_path):
    workdir = tmp_path / 'preempted'
    long = ['--config.num_train_steps=100000', '--config.checkpoint_every_steps=100000']
    job, waiting = submit(repo, cluster, workdir, long)
    wait_for(lambda: logged_step(workdir, job, 40), 300, 'training to reach step 40')
    env = {**os.environ, 'SLURM_CONF': cluster}
    subprocess.run(['scancel', '--signal=TERM', job], env=env, check=True)  # what --signal=TERM@N sends at the limit
    status = waiting.wait(timeout=300)
    log = log_of(workdir, job)
    assert status == 0, log[-3000:]  # the job completed: every process exited 0
    saved = re.findall(r'Preempted: saved the checkpoint of step (\d+)', log)
    assert len(saved) == 2 and saved[0] == saved[1], log[-3000:]  # the same step in both processes
    step = int(saved[0])
    assert (workdir / 'checkpoints' / str(step) / 'default').is_dir()
    again, status = sbatch(repo, cluster, workdir, [f'--config.num_train_steps={step + 20}', *long[1:]])
    log = log_of(workdir, again)
    assert status == 0 and log.count(f'Resumed from {workdir}/checkpoints/{step}') == 2, log[-3000:]


def test_a_dying_task_fails_the_job_promptly_and_the_next_submission_resumes(repo, cluster, tmp_path):
    workdir = tmp_path / 'dying'
    flags_ = ['--config.num_train_steps=100000', '--config.checkpoint_every_steps=20']
    job, waiting = submit(repo, cluster, workdir, flags_)
    wait_for(lambda: (workdir / 'checkpoints' / '40').is_dir(), 300, 'the checkpoint of step 40')
    pattern = f'^[^ ]*python[^ ]* -m aegan.train .*--workdir={workdir} '  # the two tasks, not srun
    pids = subprocess.run(['pgrep', '-f', pattern], capture_output=True, text=True).stdout.split()
    assert len(pids) == 2, pids
    subprocess.run(['kill', '-9', pids[-1]], check=True)
    killed = time.time()
    status = waiting.wait(timeout=120)  # not hanging in a collective
    assert status != 0 and time.time() - killed < 120, log_of(workdir, job)[-3000:]  # the job failed
    last = max(int(p) for p in os.listdir(workdir / 'checkpoints') if p.isdigit())
    again, status = sbatch(repo, cluster, workdir, ['--config.num_train_steps=' + str(last + 20)])
    assert status == 0 and f'Resumed from {workdir}/checkpoints/{last}' in log_of(workdir, again)


def test_the_study_array_runs_on_the_cluster_and_reports(repo, cluster, tmp_path):
    root = tmp_path / 'study'
    env = {**os.environ, 'SLURM_CONF': cluster, 'JAX_PLATFORMS': 'cpu', 'JAX_NUM_CPU_DEVICES': '1'}
    plan = [
        '--suite=ring8',
        '--methods=alphagan,dcgan',
        '--seeds=0,1',
        '--steps=20',
        '--noppgn',
        '--set=log_every_steps=10',
    ]
    study = [sys.executable, '-m', 'aegan.study', f'--root={root}', *plan]
    written = subprocess.run([*study, '--launcher=slurm'], cwd=repo, env=env, capture_output=True, text=True)
    assert written.returncode == 0, written.stderr[-2000:]
    command = ['sbatch', '--wait', '--gres=none', '--cpus-per-task=1', '--time=30', str(root / 'study.sbatch')]
    result = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    logs = ''.join(open(p).read() for p in glob.glob(str(root / 'logs' / 'slurm-*.out')))
    assert result.returncode == 0, (result.stderr, logs[-3000:])
    report = subprocess.run([*study[:4], '--report'], cwd=repo, env=env, capture_output=True, text=True)
    assert report.returncode == 0, report.stderr[-2000:]
    runs = json.loads((root / 'results.json').read_text())['runs']
    assert sorted(r['run'] for r in runs) == sorted(f'{m}-pacgan-s{s}' for m in ('alphagan', 'dcgan') for s in (0, 1))


def test_cluster_script_messages(repo, tmp_path):
    """Usage errors say what to type; `status` of a cluster that is not running says so."""
    usage = subprocess.run(['bash', 'launch/local_slurm.sh'], cwd=repo, capture_output=True, text=True)
    assert usage.returncode == 64 and 'usage: bash launch/local_slurm.sh start|stop|status DIR' in usage.stderr
    down = subprocess.run(
        ['bash', 'launch/local_slurm.sh', 'status', str(tmp_path)], cwd=repo, capture_output=True, text=True
    )
    assert down.returncode == 1 and 'down' in down.stdout
