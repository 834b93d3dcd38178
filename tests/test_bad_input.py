"""Bad input never costs a traceback or a workdir: generated bad overrides of every key of every experiment config go
through the training binary's flag parsing and checks (in-process), and each must end in a one-line message that
names the key; a few go through the real binary to show that nothing is written."""

import glob
import json
import os
import subprocess
import sys

import jax
import numpy as np
import pytest
from absl import flags
from ml_collections import config_flags

from aegan import cli, config_schema, configs, data, trainer

pytestmark = pytest.mark.filterwarnings('ignore:the load_module:DeprecationWarning')  # ml_collections' loader
EMBEDDED = ('ring8', 'grid25', 'stacked_mnist', 'mnist')  # datasets whose data ship with the package


def bad_values(key: config_schema.Key) -> list[str]:
    """Override values `key` must refuse, as a user would type them."""
    if key.kind == 'bool':
        return ['maybe']
    if key.kind == 'str':
        return ['bogus_choice'] if key.choices else []
    if key.kind == 'ints':
        return ['abc', "'(0,)'", "'(-1,8)'"]
    values = ['abc']  # wrong type
    if key.kind == 'int':
        values.append('2.5')
    for value in (-1, 0):
        if key.low is not None and value < key.low:
            values.append(str(value))
    if key.high is not None:
        values += [str(key.high), str(key.high + 0.5)]
    return values


def cases(config_path: str):
    """(override flags, what the message must name) for every key of the config, and unknown keys."""
    config = cli.load_config_file(config_path)
    out = []
    for path, _ in config_schema.flatten(config).items():
        key = config_schema.SCHEMA[config_schema.schema_path(path)]
        out += [([f'--config.{path}={value}'], path) for value in bad_values(key)]
        out.append(([f'--config.{path}x=1'], f'{path}x'))  # a typo of the key
    out.append((['--config.no_such_key=1'], 'no_such_key'))
    other = next(m for m in ('vae', 'alphagan') if m != config.method)
    out.append(([f'--config.{other}.lambda_rec=1'], other))  # another method's section
    if config.data.name in EMBEDDED:  # the wrong nets for the data: caught by the method's checks, not the schema
        kind = 'dcgan' if config.model.kind == 'mlp' else 'mlp'
        out.append(([f'--config.model.kind={kind}'], 'model.kind'))
    return out


def check_like_the_binary(argv):
    """aegan.train's checks, in-process, in order: flag parsing, then everything before the first write. Returns the
    message it exits with, or None if it would start training."""
    argv = ['aegan.train', *argv]
    flag_values = flags.FlagValues()  # sys_argv: the overrides config_flags defines as flags come from these args
    config_flags.DEFINE_config_file('config', None, 'config', flag_values=flag_values, lock_config=True, sys_argv=argv)
    try:
        cli.parse_config_flags(argv, 'aegan.train', flag_values)
        config = flag_values.config
        with cli.user_errors('aegan.train'):
            if config.data.name in EMBEDDED:
                trainer.check_config(config, jax.devices()[:1])
            else:  # TFDS data are not on this machine: the schema alone
                config_schema.validate(config)
    except SystemExit as stop:
        return str(stop.code)
    return None


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = sorted(os.path.relpath(p, REPO) for p in glob.glob(os.path.join(REPO, 'experiments', '*.py')))
# A config file's argument selects a published protocol (configs.PROTOCOLS); every one has the schema's keys.
PROTOCOL_CONFIGS = [
    f'{path}:{name}'
    for name, protocol in configs.PROTOCOLS.items()
    for path in CONFIGS
    if path.endswith(tuple(f'_{dataset}.py' for dataset in protocol['datasets']))
]


def test_every_bad_override_of_every_config_is_a_one_line_message(repo, monkeypatch):
    monkeypatch.chdir(repo)
    tried, problems = 0, []
    for config_path in [*CONFIGS, 'experiments/dcgan_ring8.py:pacgan', 'experiments/alphagan_grid25.py:pacgan']:
        assert check_like_the_binary([f'--config={config_path}']) is None, config_path  # the config itself is fine
        for argv, named in cases(config_path):
            tried += 1
            message = check_like_the_binary([f'--config={config_path}', *argv])
            if message is None or not message.startswith('aegan.train: ') or named not in message:
                problems.append((config_path, argv, message))
            elif '\n' in message or 'Traceback' in message:
                problems.append((config_path, argv, 'not one line: ' + message))
    print(f'{tried} bad overrides of {len(CONFIGS)} configs, each refused with a one-line message')
    assert not problems, problems[:10]
    assert tried > 500


TABLE = [  # the table, through the real binary: each a one-line message, and no workdir
    ('alphagan_stacked_mnist.py', '--config.model.width=-3', 'model.width=-3'),
    ('alphagan_ring8.py', '--config.model.z_dim=0', 'model.z_dim=0'),
    ('alphagan_ring8.py', '--config.seed=-1', 'seed=-1'),
    ('alphagan_ring8.py', '--config.model.width=-3', 'model.width'),
    ('alphagan_ring8.py', '--config.no_such_key=1', 'no_such_key'),
]


@pytest.mark.parametrize('config, override, named', TABLE)
def test_the_binary_refuses_bad_input_without_traceback_or_files(repo, tmp_path, config, override, named):
    workdir = tmp_path / 'run'
    command = [sys.executable, '-m', 'aegan.train', f'--config=experiments/{config}', f'--workdir={workdir}', override]
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert 'Traceback' not in result.stderr and named in result.stderr.strip().splitlines()[-1]
    assert not workdir.exists()


def test_a_typo_then_the_corrected_command_on_the_same_workdir(repo, tmp_path):
    """A start that fails after writing config.json but before its first checkpoint does not block the corrected
    command (the workdir becomes a run only with its first checkpoint)."""
    workdir = tmp_path / 'run'
    base = [
        sys.executable,
        '-m',
        'aegan.train',
        '--config=tests/configs/tiny.py:alphagan,ring8',
        f'--workdir={workdir}',
    ]
    env = {**os.environ, 'JAX_NUM_CPU_DEVICES': '1'}
    # A failed start that got as far as writing its config: a learning rate that makes the first step non-finite.
    failed = subprocess.run(
        [*base, '--config.optim.encoder.learning_rate=1e38', '--config.optim.generator.learning_rate=1e38'],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert failed.returncode == 1 and 'Traceback' not in failed.stderr
    assert (workdir / 'config.json').exists() and not any((workdir / 'checkpoints').glob('[0-9]*'))
    fixed = subprocess.run(
        [*base, '--config.num_train_steps=10'], cwd=repo, env=env, capture_output=True, text=True, timeout=300
    )
    assert fixed.returncode == 0, fixed.stderr[-2000:]
    assert 'no checkpoint (an earlier start failed): replacing it' in fixed.stderr
    assert json.loads((workdir / 'config.json').read_text())['optim']['encoder']['learning_rate'] == 1e-3
    assert (workdir / 'checkpoints' / '10').is_dir()


def test_describe_lists_every_key_with_its_meaning(repo):
    command = [sys.executable, '-m', 'aegan.train', '--config=experiments/alphagan_ring8.py', '--describe']
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'model.z_dim = 2\n    dimension of the code z; an integer >= 1' in result.stdout
    assert 'alphagan.lambda_rec' in result.stdout and '(not a known key)' not in result.stdout


def test_every_dataset_and_method_key_is_in_the_schema():
    assert set(data.DATASETS) >= {'ring8', 'stacked_mnist', 'cifar10', 'celeb_a'}
    assert len(PROTOCOL_CONFIGS) == 14  # 7 methods x ring8, grid25
    for path in [*CONFIGS, *PROTOCOL_CONFIGS]:
        for key in config_schema.flatten(cli.load_config_file(os.path.join(REPO, path))):
            assert config_schema.schema_path(key) in config_schema.SCHEMA, (path, key)


# The tests that use `tiny_run` run on one xdist worker, which trains it once (a module fixture is built by every
# worker that runs a test using it).
ON_THE_TINY_RUN_WORKER = pytest.mark.xdist_group('bad_input_tiny_run')


@pytest.fixture(scope='module')
def tiny_run(tmp_path_factory):
    import configs.tiny

    config = configs.tiny.get_config('alphagan,ring8')
    config.num_train_steps = config.checkpoint_every_steps = config.sample_every_steps = 10
    workdir = tmp_path_factory.mktemp('tiny') / 'run'
    trainer.train_and_evaluate(config, str(workdir), devices=jax.devices()[:1])
    np.savez(workdir.parent / 'wrong_inception.npz', kernel=np.zeros((3, 3)))
    whole = (workdir.parent / 'wrong_inception.npz').read_bytes()
    (workdir.parent / 'truncated_inception.npz').write_bytes(whole[: len(whole) // 2])  # a copy cut short
    return workdir


EVAL_CASES = [  # (flags, what the one-line message must contain)
    (['--num_samples=0'], 'num_samples=0 must be an integer >= 2'),
    (['--ms_ssim_pairs=-1'], 'ms_ssim_pairs=-1 must be an integer >= 1'),
    (['--metrics=bogus'], "Unknown metrics ['bogus']"),
    (['--checkpoint={run}/checkpoints/999'], 'No checkpoint at'),
    (['--metrics=fid', '--inception_weights={run}/../wrong_inception.npz'], 'is not a converted 2015-12-05 Inception'),
    (['--metrics=fid', '--inception_weights={run}/../truncated_inception.npz'], 'is damaged, not a whole .npz'),
    (['--metrics=dataset_inception_score', '--classifier={run}'], 'not a classifier'),
    (['--prdc_samples=3', '--metrics=precision_recall'], 'prdc_samples=3 must be an integer >= 6'),
]


@ON_THE_TINY_RUN_WORKER
@pytest.mark.parametrize('extra, expected', EVAL_CASES)
def test_eval_refuses_bad_input_with_one_line(repo, tiny_run, extra, expected):
    extra = [flag.format(run=tiny_run) for flag in extra]
    command = [sys.executable, '-m', 'aegan.eval', f'--checkpoint={tiny_run}', *extra]
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=300)
    last = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 1 and 'Traceback' not in result.stderr, result.stderr[-2000:]
    assert last.startswith('aegan.eval: ') and expected in last, last
    assert not any(p.startswith('eval_') for p in os.listdir(tiny_run))  # nothing written


def test_study_refuses_bad_input_with_one_line(repo, tmp_path):
    for flags_, expected in (
        (['--suite=ring8', '--methods=gan'], "Unknown methods ['gan']"),
        (['--suite=ring8', '--metrics=psnr'], "unknown --metrics ['psnr']"),
        (['--report'], 'is not a study root'),
    ):
        command = [sys.executable, '-m', 'aegan.study', f'--root={tmp_path / "study"}', *flags_]
        result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=300)
        last = result.stderr.strip().splitlines()[-1]
        assert result.returncode == 1 and 'Traceback' not in result.stderr and expected in last, result.stderr[-2000:]
