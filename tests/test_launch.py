"""launch/: shellcheck-clean, and each script builds the command its header promises (cluster tools faked on PATH)."""

import os
import stat
import subprocess
import sys

import pytest

SCRIPTS = ['local_multiprocess.sh', 'local_slurm.sh', 'slurm_gpu.sbatch', 'tpu_vm.sh']


def fake_tool(bin_dir, name):
    """An executable `name` that writes its arguments, one per line, to <bin_dir>/<name>.args."""
    path = bin_dir / name
    path.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "{bin_dir}/{name}.args"\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.mark.parametrize('script', SCRIPTS)
def test_shellcheck_passes(repo, script):
    result = subprocess.run(['shellcheck', str(repo / 'launch' / script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_every_script_is_documented_in_launch_readme(repo):
    readme = (repo / 'launch' / 'README.md').read_text()
    assert all(f'launch/{script}' in readme for script in SCRIPTS)


def test_slurm_script_runs_one_srun_with_distributed_training(repo, tmp_path):
    fake_tool(tmp_path, 'srun')
    venv = tmp_path / 'venv'
    (venv / 'bin').mkdir(parents=True)
    (venv / 'bin' / 'activate').write_text('')
    env = {**os.environ, 'PATH': f'{tmp_path}:{os.environ["PATH"]}', 'VENV': str(venv), 'DATA_DIR': '/data'}
    env['CONFIG'] = 'experiments/dcgan_celeb_a.py'
    subprocess.run(['bash', str(repo / 'launch' / 'slurm_gpu.sbatch')], cwd=repo, env=env, check=True)
    args = (tmp_path / 'srun.args').read_text().splitlines()
    assert args[:4] == ['--kill-on-bad-exit=1', 'python', '-m', 'aegan.train']
    assert '--config=experiments/dcgan_celeb_a.py' in args and '--distributed' in args
    assert '--workdir=/shared/runs/dcgan_celeb_a' in args and '--config.data.data_dir=/data' in args


def test_tpu_script_starts_the_same_command_on_every_worker(repo, tmp_path):
    fake_tool(tmp_path, 'gcloud')
    env = {**os.environ, 'PATH': f'{tmp_path}:{os.environ["PATH"]}', 'TPU_NAME': 'tpu1', 'ZONE': 'z', 'PROJECT': 'p'}
    env['BUCKET'] = 'b'
    script = str(repo / 'launch' / 'tpu_vm.sh')
    subprocess.run(['bash', script, '--config.num_train_steps=7', "--config.note=it's"], env=env, check=True)
    args = (tmp_path / 'gcloud.args').read_text()
    assert 'tpu-vm\nssh\ntpu1\n--zone=z\n--project=p\n--worker=all\n' in args
    assert "pip install --quiet -e . 'jax[tpu]'" in args
    assert (
        '--workdir=gs://b/runs/alphagan_cifar10' in args and '--config.data.data_dir=gs://b/tensorflow_datasets' in args
    )
    assert "--distributed --config.num_train_steps=7 --config.note=it\\'s" in args  # user arguments quoted once
    missing = subprocess.run(['bash', script], env={**env, 'TPU_NAME': ''}, capture_output=True, text=True)
    assert missing.returncode != 0 and 'set TPU_NAME' in missing.stderr


def test_local_launcher_reports_a_failing_process(repo, tmp_path):
    result = subprocess.run(
        [
            'bash',
            str(repo / 'launch' / 'local_multiprocess.sh'),
            '2',
            '1',
            '--config=experiments/nope.py',
            f'--workdir={tmp_path}/run',
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert f'failed (exit 1); see {tmp_path}/run/logs/process_' in result.stderr
    usage = subprocess.run(['bash', str(repo / 'launch' / 'local_multiprocess.sh')], capture_output=True, text=True)
    assert usage.returncode == 2 and 'Usage:' in usage.stderr


def test_partial_explicit_distributed_flags_are_a_usage_error(repo, tmp_path):
    command = [sys.executable, '-m', 'aegan.train', '--config=tests/configs/tiny.py:alphagan,ring8']
    command += [f'--workdir={tmp_path}/run', '--distributed', '--num_processes=2']
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert 'Give all of --coordinator_address, --num_processes and --process_id, or none of them.' in result.stderr
    assert not os.path.exists(tmp_path / 'run')
