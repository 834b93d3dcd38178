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


@contextlib.contextmanager
def small_disk(path, size: int):
    """A tmpfs of `size` bytes at `path` (the tests run as root and may mount)."""
    if os.geteuid() != 0:
        pytest.skip('needs root to mount a small tmpfs (a disk that fills up)')
    path.mkdir()
    mounted = subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={size}', 'tmpfs', str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f'root, but cannot mount a tmpfs: {mounted.stderr.decode().strip()}')
    try:
        yield
    finally:
        subprocess.run(['umount', str(path)], check=True)


def fill(disk, leave: int):
    """Another program's file that leaves `leave` bytes of `disk` free: the disk fills up under a run."""
    stat = os.statvfs(disk)
    filler = disk / 'other_program.bin'
    filler.write_bytes(b'\0' * (stat.f_bavail * stat.f_frsize - leave))
    return filler


def checkpoints_on_disk(workdir) -> list[str]:
    """Every entry of checkpoints/, finished steps and half-written ones (`<step>.orbax-checkpoint-tmp*`) alike."""
    return sorted(os.listdir(workdir / 'checkpoints'), key=lambda name: (len(name), name))


def test_a_disk_that_fills_at_the_first_checkpoint_is_one_line(repo, tmp_path):
    with small_disk(tmp_path / 'disk', 64 * 1024):
        workdir = tmp_path / 'disk' / 'run'
        result = binary(repo, 'train', TINY, f'--workdir={workdir}')
        message = one_line_error(result)
        assert message == (
            f'aegan.train: No space left on device ({workdir}/checkpoints/10) while saving step 10 of {workdir}: '
            'free space on that disk or move the workdir to another disk, then rerun the same command (no checkpoint '
            'was finished; removed: the half-written step 10)'
        ), message
        assert len(result.stderr.splitlines()) < 20, result.stderr  # not Orbax's threads, one traceback each
        assert checkpoints_on_disk(workdir) == []


def test_a_disk_that_fills_mid_run_stops_at_the_failed_save_and_resumes_from_the_last_good(repo, tmp_path):
    """A run with checkpoints 10 and 20 on a disk that another program then fills (64 KiB left, less than one
    checkpoint): the run stops at its save of step 30 (it does not train on to 40), keeps 10 and 20, and once the
    space is freed the same command resumes from 20 and ends bit-identical to a run that never failed."""
    from test_checkpointing import assert_trees_identical, load_state

    straight = tmp_path / 'straight'
    assert binary(repo, 'train', TINY, f'--workdir={straight}').returncode == 0
    with small_disk(tmp_path / 'disk', 16 * 1024 * 1024):
        workdir = tmp_path / 'disk' / 'run'
        assert binary(repo, 'train', TINY, f'--workdir={workdir}', '--config.num_train_steps=20').returncode == 0
        before = checkpoints_on_disk(workdir), load_state(workdir, 20)
        filler = fill(tmp_path / 'disk', leave=64 * 1024)

        result = binary(repo, 'train', TINY, f'--workdir={workdir}')
        message = one_line_error(result)
        assert f'No space left on device ({workdir}/checkpoints/30) while saving step 30 of {workdir}' in message
        assert message.endswith(
            'then rerun the same command to resume from step 20 (kept: the checkpoints of step 10, 20; removed: the '
            'half-written step 30)'
        ), message
        assert '[40]' not in result.stderr  # it stopped at the failed save, it did not train on
        assert before[0] == checkpoints_on_disk(workdir) == ['10', '20']
        assert_trees_identical(load_state(workdir, 20), before[1])

        filler.unlink()  # the user frees space
        resumed = binary(repo, 'train', TINY, f'--workdir={workdir}')
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        assert f'Resumed from {workdir}/checkpoints/20' in resumed.stderr
        assert checkpoints_on_disk(workdir) == ['10', '20', '30', '40']
        assert_trees_identical(load_state(workdir, 40), load_state(straight, 40))


def test_an_eval_that_cannot_write_its_results_is_one_line_and_reads_only(repo, tmp_path):
    with small_disk(tmp_path / 'disk', 16 * 1024 * 1024):
        workdir = tmp_path / 'disk' / 'run'
        assert binary(repo, 'train', TINY, f'--workdir={workdir}', '--config.num_train_steps=10').returncode == 0
        subprocess.run(['mount', '-o', 'remount,ro', str(tmp_path / 'disk')], check=True)
        before = sorted(os.listdir(workdir))
        message = one_line_error(binary(repo, 'eval', f'--checkpoint={workdir}'), 'aegan.eval')
        assert f'Read-only file system ({workdir}/' in message and f'while writing the eval of {workdir}' in message
        assert 'copy the run to a writable disk and evaluate the copy' in message, message
        assert sorted(os.listdir(workdir)) == before


def test_an_eval_cache_it_may_not_write_is_one_line_naming_the_cache(repo, tmp_path):
    workdir = tmp_path / 'run'
    tiny_mnist = TINY.replace('ring8', 'stacked_mnist')
    assert binary(repo, 'train', tiny_mnist, f'--workdir={workdir}', '--config.num_train_steps=10').returncode == 0
    with read_only_directory(tmp_path / 'cache') as (cause, advice):
        result = binary(
            repo, 'eval', f'--checkpoint={workdir}', '--metrics=mode_coverage', f'--cache_dir={tmp_path}/cache'
        )
        message = one_line_error(result, 'aegan.eval')
        assert f'{cause} ({tmp_path}/cache/mnist_counter_' in message and 'while training the mode counter' in message
        assert 'set AEGAN_CACHE_DIR (or --cache_dir) to a writable directory' in message, message
    assert not any(name.startswith('eval_') for name in os.listdir(workdir))


def test_a_full_disk_stops_every_process_with_one_line_each(repo, tmp_path):
    from test_multihost import launch

    flags = [TINY, f'--workdir={tmp_path}/disk/run', '--config.batch_size=8']
    with small_disk(tmp_path / 'disk', 16 * 1024 * 1024):
        status, _ = launch(repo, 2, 1, [*flags, '--config.num_train_steps=20'])
        assert status == 0
        fill(tmp_path / 'disk', leave=64 * 1024)
        status, logs = launch(repo, 2, 1, flags)
        assert status == 1
        for log in logs:  # each process says why in one line, and neither hangs in a collective
            assert 'Traceback' not in log, log[-3000:]
            assert log.strip().splitlines()[-1].startswith('aegan.train: No space left on device'), log[-2000:]
            assert 'while saving step 30' in log and 'resume from step 20' in log
        assert checkpoints_on_disk(tmp_path / 'disk' / 'run') == ['10', '20']


def test_a_study_root_it_may_not_write_is_one_line(repo, tmp_path):
    with read_only_directory(tmp_path / 'ro') as (cause, advice):
        root = tmp_path / 'ro' / 'study'
        result = binary(repo, 'study', '--suite=ring8', f'--root={root}', '--methods=dcgan', '--seeds=0')
        message = one_line_error(result, 'aegan.study')
        assert f'{cause} ({root}' in message and 'while writing the study' in message, message
        assert advice in message and 'pass another --root (or --out)' in message, message


def test_a_failed_run_of_a_study_is_listed_with_the_line_its_binary_ended_with(tmp_path):
    from aegan.study import runs

    log = tmp_path / 'run.log'
    log.write_text('$ python -m aegan.train ...\nI1203 step 10\naegan.train: No space left on device (/r/c/30) ...\n\n')
    assert runs._why(str(log)) == ': aegan.train: No space left on device (/r/c/30) ...'
    log.write_text('$ python -m aegan.train ...\nKilled\n')  # no line of ours: nothing is made up
    assert runs._why(str(log)) == ''


def test_a_workdir_removed_under_a_running_run_ends_it_in_one_line(repo, tmp_path):
    """The workdir's path disappears under the run (moved away, then deleted, as by another user or a cleanup job):
    its next save or write ends the run in one line (a save in flight may finish in the path Orbax makes again, but
    no save after it)."""
    import shutil
    import time

    workdir = tmp_path / 'run'
    command = [sys.executable, '-m', 'aegan.train', TINY, f'--workdir={workdir}', '--config.num_train_steps=100000']
    command += ['--config.checkpoint_every_steps=300']  # seconds apart: the path goes between two saves
    process = subprocess.Popen(command, cwd=repo, stderr=subprocess.PIPE, text=True, env=ENV)
    deadline = time.time() + 300
    while not (workdir / 'checkpoints' / '300').exists() and time.time() < deadline:
        time.sleep(0.05)
    os.rename(workdir, tmp_path / 'gone')
    shutil.rmtree(tmp_path / 'gone', ignore_errors=True)
    _, stderr = process.communicate(timeout=300)
    message = one_line_error(subprocess.CompletedProcess(command, process.returncode, '', stderr))
    assert 'No such file or directory' in message and 'a directory on the way to it was removed' in message, message
    assert message.endswith('(the workdir was removed under the run: the rerun starts again from step 0)'), message
    assert not (workdir / 'checkpoints' / '600').exists()  # no save went on into a directory made again
