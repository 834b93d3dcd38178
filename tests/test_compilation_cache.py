"""The persistent compilation cache of the binaries (compilation_cache.py): written on the first run, all hits on an
identical second run, and off with --compilation_cache=''."""

import os
import re
import subprocess
import sys


def train(repo, workdir, cache):
    command = [
        sys.executable,
        '-m',
        'aegan.train',
        '--config=tests/configs/tiny.py:alphagan,ring8',
        f'--workdir={workdir}',
        '--config.num_train_steps=4',
        f'--compilation_cache={cache}',
    ]
    env = {**os.environ, 'JAX_NUM_CPU_DEVICES': '1'}
    result = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stderr


def test_a_second_identical_run_compiles_nothing_new(repo, tmp_path):
    cache = tmp_path / 'cache'
    log = train(repo, tmp_path / 'a', cache)
    assert f'Persistent compilation cache: {cache}' in log
    entries = set(os.listdir(cache))
    assert any(name.startswith('jit_') for name in entries), entries  # the train step among them
    log = train(repo, tmp_path / 'b', cache)  # a fresh workdir: every computation is the same, so every one is a hit
    assert set(os.listdir(cache)) == entries
    # The first step's time, which benchmarks/startup.py reads to report cold vs warm start-up (never asserted on).
    assert re.search(r'First step \(compiling the update, or loading it from the compilation cache.*\): [\d.]+ s', log)


def test_an_empty_path_turns_the_cache_off(repo, tmp_path):
    log = train(repo, tmp_path / 'a', '')
    assert 'Persistent compilation cache: off.' in log
