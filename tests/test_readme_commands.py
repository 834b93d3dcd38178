"""Every shell command of README.md, launch/README.md and docs/*.md runs as written (docs rot silently when nothing
runs them).

A command is a line of a code block (fenced, or indented 4+ spaces) whose first word, after `VAR=value`
assignments, is `python`, `pip`, `tensorboard`, `bash`, `ruff`, `sbatch`, `export` or a `launch/*.sh` script; `\\`
continues a line and `&&` chains run in order. Each runs in a shell from the repository root with these
substitutions and nothing else (the README's "Fresh machine" section says the same):

1. workdirs: every `/tmp/` becomes this test's temporary directory;
2. steps: `python -m aegan.train` and `launch/local_multiprocess.sh` get `--config.num_train_steps=20`, the SLURM
   job gets it through the script's `TRAIN_ARGS`; `python -m aegan.study --suite=...` gets `--steps=20` and, as
   a number of runs, `--methods=alphagan --seeds=0` (one of its 35 runs, with its PPGN eval;
   tests/test_study.py runs several);
3. `pip install X` runs as `pip install --dry-run X`: it resolves every requirement on the index without replacing
   the installed package under the tests running beside it;
4. `tensorboard --logdir=D` gets `--host=127.0.0.1 --port=<free>` and runs until its scalar and image tags have been
   read over HTTP, then is stopped;
5. the mode counter: `python -m aegan.eval` of a Stacked MNIST checkpoint without `--classifier` gets
   `--classifier=` a counter that the test first trains with the README's classifier config
   (`python -m aegan.train --config=experiments/classifier_mnist.py`, 20 steps by rule 2), instead of the eval
   training the real one for 6,000 steps, and `--num_samples=2600` (a tenth of the protocol's count). The eval
   training and caching its own counter is tests/test_eval.py::test_mnist_counter_is_trained_once_and_cached.

The commands that are not run are listed in NOT_RUN with the reason; every other command runs, so a new README
command that cannot run here fails its block's test until it is fixed or listed, and a NOT_RUN entry that no README
command matches any more fails `test_the_not_run_list_matches_the_readmes`. `python -m pytest
tests/test_readme_commands.py -s` prints each command, its exit status and its wall time.
"""

import glob
import json
import os
import pathlib
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

STEPS = 20
DEMO_EVAL_SAMPLES = 2600  # rule 5: a tenth of the 26,000 (test_eval.py checks the default)
COMMAND_WORDS = re.compile(r'^(python|pip|tensorboard|bash|ruff|sbatch|export|launch/\S+\.sh)\b')
NOT_RUN = {
    'python -m pytest -q -n 2 --dist loadgroup tests': 'it is this suite: .ci/run runs that line (test_readme.py)',
    "python -c \"import tensorflow_datasets as tfds; tfds.builder('cifar10'": 'downloads CIFAR-10 (no internet in CI); '
    'tests/test_tfds.py prepares the same builders on synthetic files',
    'sbatch launch/slurm_gpu.sbatch': "asks for the script's GPUs and 8 tasks a node, which the local cluster lacks; "
    'the same script runs below with CPU resources',
    'CONFIG=experiments/dcgan_celeb_a.py WORKDIR=/shared/runs/dcgan_celeb_a': 'GPUs, /shared storage and prepared '
    'CelebA; the same script runs with CPU resources in the local SLURM block',
    'launch/tpu_vm.sh': 'needs gcloud and a TPU; tests/test_launch.py runs it with a fake gcloud',
    # docs/: the benchmarks and the records of how a figure was measured
    "pip install -e '.[parity]'": 'the parity extra is 8 GB of CUDA torch; tests/test_parity.py skips without it',
    'python -m pytest -m parity tests': 'the parity suite, run before a release with the parity extra',
    'python tests/parity.py': 'measures the parity table with the parity extra (results/parity/)',
    'python -m aegan.metrics.convert_inception': "needs pytorch-fid's weights file, which cannot be downloaded here; "
    'tests/test_inception.py converts a random-weights state dict',
    'python -m aegan.eval --checkpoint=W ': 'a measurement record (docs/metrics.md): a CIFAR-10 run, random weights',
    'python -m aegan.train --config=experiments/alphagan_stacked_mnist.py --workdir=W ': 'a measurement record '
    '(docs/methods.md): 1,500-step runs of three seeds',
    'python -m aegan.study --suite=stacked_mnist --root=DIR': 'the Stacked MNIST suite trains the 6,000-step mode '
    'counter; tests/test_study.py and tests/test_slurm.py run these flags on the ring suite',
    'python -m aegan.study --report --root=DIR': 'reads a study root; the README runs the same on its ring study',
}
FILES = (
    'README.md',
    'launch/README.md',
    *sorted(f'docs/{p.name}' for p in (pathlib.Path(__file__).parents[1] / 'docs').glob('*.md')),
)


def strip_comment(line: str) -> str:
    return re.sub(r'\s+#\s.*$', '', line).strip()


def blocks(text: str) -> list[list[tuple[int, str]]]:
    """The command lines of each code block, as (line number, command), continuations joined."""
    lines, found, current, fenced = text.splitlines(), [], [], False
    i = 0
    while i < len(lines):
        line = lines[i]
        in_block = fenced or re.match(r'^ {4,}\S', line)
        if line.strip().startswith('```'):
            fenced = not fenced
        elif in_block:
            number, command = i + 1, line.strip()
            while command.endswith('\\') and i + 1 < len(lines):
                i += 1
                command = command[:-1].rstrip() + ' ' + lines[i].strip()
            words = strip_comment(command).split()
            while words and re.match(r'^[A-Z_]+=', words[0]):
                words = words[1:]
            if words and COMMAND_WORDS.match(' '.join(words)):
                current.append((number, strip_comment(command)))
        if not in_block and current:
            found.append(current)
            current = []
        i += 1
    return found + ([current] if current else [])


def all_blocks(repo) -> list[tuple[str, list[tuple[int, str]]]]:
    return [(name, block) for name in FILES for block in blocks((repo / name).read_text())]


def reason_not_run(command: str) -> str | None:
    return next((why for prefix, why in NOT_RUN.items() if prefix in command), None)


def substitute(command: str, tmp: str) -> str:
    """Rules 1-3 of the module docstring."""
    command = command.replace('/tmp/', f'{tmp}/')
    steps = f'--config.num_train_steps={STEPS}'
    if re.match(r'^python -m aegan\.train\b', command) or re.match(r'^launch/local_multiprocess\.sh\b', command):
        command += f' {steps}'
    if re.match(r'^python -m aegan\.study\b', command) and '--suite=' in command:
        command += f' --steps={STEPS} --methods=alphagan --seeds=0'
    if ' sbatch ' in f' {command} ':
        command = f'TRAIN_ARGS={steps} {command}'
    if command.startswith('pip install '):
        command = 'pip install --dry-run ' + command[len('pip install ') :]
    return command


def with_mode_counter(command: str, repo, tmp: str, env: dict) -> str:
    """Rule 5 of the module docstring: the command, with `--classifier=` a 20-step counter (trained here once) when it
    is an eval of a Stacked MNIST checkpoint that would train the real counter."""
    checkpoint = re.search(r'--checkpoint=(\S+)', command)
    if not re.match(r'^python -m aegan\.eval\b', command) or '--classifier' in command or checkpoint is None:
        return command
    from aegan import checkpointing

    if checkpointing.load_config(checkpoint.group(1)).data.name != 'stacked_mnist':
        return command
    counter = f'{tmp}/mode_counter'
    readme_like = 'python -m aegan.train --config=experiments/classifier_mnist.py --workdir=/tmp/mode_counter'
    train = substitute(readme_like, tmp)
    if not os.path.isdir(counter):
        done = subprocess.run(train, shell=True, cwd=repo, env=env, capture_output=True, text=True, timeout=600)
        print(f'{done.returncode:>3}  (rule 5) {train}')
        assert done.returncode == 0, done.stderr[-3000:]
    return f'{command} --classifier={counter} --num_samples={DEMO_EVAL_SAMPLES}'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def read_tensorboard(command: str, env: dict, cwd) -> dict:
    """Starts `command` on a free port, returns {'scalars': tags, 'images': tags} of its runs, then stops it."""
    port = free_port()
    server = subprocess.Popen(
        shlex.split(command) + ['--host=127.0.0.1', f'--port={port}'],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.time() + 120
        while True:
            try:
                tags = {}
                for plugin in ('scalars', 'images'):
                    url = f'http://127.0.0.1:{port}/data/plugin/{plugin}/tags'
                    with urllib.request.urlopen(url, timeout=10) as response:
                        tags[plugin] = json.load(response)
                return tags
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    raise AssertionError(f'tensorboard did not serve: {server.communicate()[0][-2000:]}') from None
                time.sleep(1)
    finally:
        server.terminate()
        server.wait(timeout=30)


def run_block(repo, tmp_path, block, env) -> list[tuple[str, int, float]]:
    """Runs every command of the block in order; returns (command as run, exit status, seconds) and stops at the
    first failure (the assertion names it, with its output)."""
    ran = []
    for number, line in block:
        for part in line.split(' && '):
            if reason_not_run(part):
                print(f'NOT RUN  {part}  ({reason_not_run(part)})')
                continue
            command = with_mode_counter(substitute(part, str(tmp_path)), repo, str(tmp_path), env)
            start = time.time()
            if command.startswith('export '):
                name, value = command[len('export ') :].split('=', 1)
                env[name] = value
                status, output = 0, ''
            elif command.startswith('tensorboard '):
                tags = read_tensorboard(command, env, repo)
                status, output = 0, json.dumps(tags)[:300]
                assert tags['scalars'] and tags['images'], f'tensorboard shows no scalars or images: {tags}'
                run = next(iter(tags['scalars']))
                assert any(tag.startswith('eval/') for tag in tags['scalars'][run]) and 'samples' in tags['images'][run]
            else:
                done = subprocess.run(
                    command, shell=True, cwd=repo, env=env, capture_output=True, text=True, timeout=900
                )
                status, output = done.returncode, done.stdout[-3000:] + done.stderr[-3000:]
            seconds = time.time() - start
            print(f'{status:>3}  {seconds:6.1f} s  {command}')
            ran.append((command, status, seconds))
            assert status == 0, f'line {number}: `{command}` exited {status}:\n{output}'
    return ran


REPO = pathlib.Path(__file__).resolve().parents[1]
BLOCKS = {f'{name}:{block[0][0]}': block for name, block in all_blocks(REPO)}  # 'README.md:27': [(27, cmd), ...]
SLURM_BLOCKS = [key for key, block in BLOCKS.items() if any('local_slurm.sh start' in c for _, c in block)]


def parts(block) -> list[str]:
    return [part for _, line in block for part in line.split(' && ')]


RUNNABLE = [k for k in BLOCKS if k not in SLURM_BLOCKS and not all(map(reason_not_run, parts(BLOCKS[k])))]


def test_the_not_run_list_matches_the_readmes():
    """The extraction finds the READMEs' commands, every NOT_RUN entry still matches one (no stale exemption), and
    every command is either in a block that a test below runs or in NOT_RUN."""
    commands = [part for block in BLOCKS.values() for part in parts(block)]
    assert len(commands) >= 20, commands
    for expected in ('aegan.eval --checkpoint=/tmp/aegan_demo', 'tensorboard --logdir=', 'local_slurm.sh start'):
        assert any(expected in c for c in commands), expected
    for prefix in NOT_RUN:
        assert any(prefix in c for c in commands), f'NOT_RUN lists {prefix!r}, which no README has any more'
    tested = {c for key in RUNNABLE + SLURM_BLOCKS for c in parts(BLOCKS[key])}
    assert all(c in tested or reason_not_run(c) for c in commands)


@pytest.mark.parametrize('key', RUNNABLE)
def test_readme_block_runs_as_written(key, repo, tmp_path):
    env = {**os.environ, 'PATH': f'{os.path.dirname(sys.executable)}:{os.environ["PATH"]}'}
    ran = run_block(repo, tmp_path, BLOCKS[key], env)
    print(f'{key}: {len(ran)} commands in {sum(s for _, _, s in ran):.0f} s')


@pytest.mark.xdist_group('slurm')  # one SLURM cluster per machine: the worker that runs tests/test_slurm.py
@pytest.mark.parametrize('key', SLURM_BLOCKS)
def test_readme_slurm_block_runs_as_written(key, repo, tmp_path):
    env = {**os.environ, 'PATH': f'{os.path.dirname(sys.executable)}:{os.environ["PATH"]}'}
    block = BLOCKS[key]
    affinity = getattr(os, 'sched_getaffinity', None)  # local_slurm.sh's node has the CPUs `nproc` sees
    usable = len(affinity(0)) if affinity else os.cpu_count()
    if usable < 2:  # the block's job asks for 2 tasks of 1 CPU: on a 1-CPU node it would pend until the timeout
        pytest.skip(f'the block asks for 2 CPUs and this process may use {usable} (taskset?)')
    start = substitute(block[0][1], str(tmp_path))
    started = subprocess.run(start, shell=True, cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    if started.returncode == 2:
        pytest.skip(started.stderr.strip())
    print(f'{started.returncode:>3}  {start}')
    job_logs = set(glob.glob(str(repo / 'aegan-*.out')))  # the script's --output=%x-%j.out lands in the cwd
    try:
        assert started.returncode == 0, started.stderr
        ran = run_block(repo, tmp_path, block[1:], env)
        assert any(' sbatch ' in f' {c} ' and status == 0 for c, status, _ in ran)
        assert os.path.isdir(tmp_path / 'ring8' / 'checkpoints' / str(STEPS))
    finally:
        stop = [c for _, c in block if 'local_slurm.sh stop' in c]
        subprocess.run(substitute(stop[0], str(tmp_path)), shell=True, cwd=repo, env=env, timeout=60)
        for log in set(glob.glob(str(repo / 'aegan-*.out'))) - job_logs:
            os.replace(log, tmp_path / os.path.basename(log))  # kept with the test's files, out of the repository
