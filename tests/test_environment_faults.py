"""Faults of the machine rather than of the config, through the real binaries: each ends with exit status 1 and one
line that names the path, the cause and what to do, no traceback, and nothing the user had is changed."""

import contextlib
import hashlib
import os
import subprocess
import sys

import pytest

TINY = '--config=tests/configs/tiny.py:alphagan,ring8'
ENV = {**os.environ, 'JAX_NUM_CPU_DEVICES': '1'}


def binary(repo, name, *args):
    result = subprocess.run(
        [sys.executable, '-m', f'aegan.{name}', *args], cwd=repo, capture_output=True, text=True, env=ENV, timeout=600
    )
    return result


def one_line_error(result, binary_name='aegan.train') -> str:
    """The message, after checking the exit status, that there is no traceback and that it is the last line."""
    assert result.returncode == 1, result.stderr[-2000:]
    assert 'Traceback' not in result.stderr, result.stderr[-3000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f'{binary_name}: '), result.stderr[-2000:]
    return last


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    'source, named',
    [
        ('def get_config(:\n    return None\n', 'line 1: invalid syntax'),
        (
            'from aegan.configs import experiment\n\n\ndef get_config():\n    return experimnt("dcgan", "ring8")\n',
            "line 5: NameError: name 'experimnt'",
        ),
    ],
)
def test_a_config_file_that_does_not_run_names_its_file_and_line(repo, tmp_path, source, named):
    config = tmp_path / 'my_config.py'
    config.write_text(source)
    message = one_line_error(binary(repo, 'train', f'--config={config}', f'--workdir={tmp_path / "run"}'))
    assert f'{config}, {named}' in message and 'fix the file and rerun' in message
    assert not (tmp_path / 'run').exists()


def test_a_workdir_that_is_a_file_is_refused_and_left_alone(repo, tmp_path):
    workdir = tmp_path / 'notes.txt'
    workdir.write_text('my notes')
    message = one_line_error(binary(repo, 'train', TINY, f'--workdir={workdir}'))
    assert f'File exists ({workdir})' in message and 'pass another --workdir' in message
    assert workdir.read_text() == 'my notes'


@contextlib.contextmanager
def read_only_directory(path):
    """A read-only tmpfs where the tests run as root and may mount; a directory without write permission for
    another user (EACCES rather than EROFS: the same path through the code)."""
    path.mkdir()
    if os.geteuid() == 0:
        mounted = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', str(path)], capture_output=True)
        if mounted.returncode != 0:
            pytest.skip(f'root, but cannot mount a read-only tmpfs: {mounted.stderr.decode().strip()}')
        try:
            yield 'Read-only file system', 'the filesystem is read-only'
        finally:
            subprocess.run(['umount', str(path)], check=True)
    else:
        path.chmod(0o555)
        try:
            yield 'Permission denied', 'you may not write there'
        finally:
            path.chmod(0o755)


def test_a_workdir_on_a_read_only_filesystem_is_one_line(repo, tmp_path):
    with read_only_directory(tmp_path / 'ro') as (cause, advice):
        workdir = tmp_path / 'ro' / 'run'
        message = one_line_error(binary(repo, 'train', TINY, f'--workdir={workdir}'))
        assert f'{cause} ({workdir})' in message and advice in message and 'nothing was written' in message


def test_a_damaged_config_json_is_reported_and_never_rewritten(repo, tmp_path):
    workdir = tmp_path / 'run'
    trained = binary(repo, 'train', TINY, f'--workdir={workdir}', '--config.num_train_steps=10')
    assert trained.returncode == 0, trained.stderr[-2000:]
    config = workdir / 'config.json'
    config.write_text(config.read_text()[:200])  # truncated, as by a full disk or a killed copy
    before = digest(config), sorted(os.listdir(workdir / 'checkpoints'))
    for name, args in (
        ('train', (TINY, f'--workdir={workdir}', '--config.num_train_steps=20')),
        ('eval', (f'--checkpoint={workdir}',)),
    ):
        message = one_line_error(binary(repo, name, *args), f'aegan.{name}')
        assert f'{config} is damaged' in message and 'its checkpoints (step 10) are untouched' in message, message
        assert (digest(config), sorted(os.listdir(workdir / 'checkpoints'))) == before
