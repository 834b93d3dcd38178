"""The eval binary: restores a run read-only, samples with --sampler, writes eval_<step>[_ppgn].json and a PNG."""

import hashlib
import json
import os
import shutil
import subprocess
import sys

import jax
import pytest

from aegan import eval as aegan_eval
from aegan import trainer


def tree_digest(directory):
    """sha256 over every file's path and bytes: proves eval changed nothing under checkpoints/."""
    digest = hashlib.sha256()
    for root, dirs, files in sorted(os.walk(directory)):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            digest.update(os.path.relpath(path, directory).encode())
            with open(path, 'rb') as f:
                digest.update(f.read())
    return digest.hexdigest()


@pytest.fixture(scope='module')
def trained_ae(tmp_path_factory):
    import configs.tiny

    config = configs.tiny.get_config('ae,ring8')
    config.num_train_steps, config.checkpoint_every_steps, config.sample_every_steps = 20, 10, 20
    workdir = str(tmp_path_factory.mktemp('ae_ring8'))
    trainer.train_and_evaluate(config, workdir, devices=jax.devices()[:1])
    return workdir


def test_eval_binary_with_ppgn_sampler(repo, trained_ae):
    before = tree_digest(os.path.join(trained_ae, 'checkpoints'))
    command = [sys.executable, '-m', 'aegan.eval', f'--checkpoint={trained_ae}', '--sampler=ppgn', '--ppgn_steps=5']
    env = {**os.environ, 'JAX_NUM_CPU_DEVICES': '1'}
    result = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'ae on ring8, step 20, sampler=ppgn' in result.stdout and 'high_quality_fraction' in result.stdout
    with open(os.path.join(trained_ae, 'eval_20_ppgn.json')) as f:
        written = json.load(f)
    assert written['step'] == 20 and written['sampler'] == 'ppgn' and written['num_samples'] == 2500
    assert written['ppgn']['num_steps'] == 5 and written['ppgn']['prior_model'] == 'dae'
    assert set(written['metrics']) == {
        'modes',
        'high_quality_fraction',
        'reverse_kl',
        'reconstruction_l1',
        'reconstruction_l2',
    }
    assert 0 <= written['metrics']['modes'] <= 8
    assert os.path.getsize(os.path.join(trained_ae, 'eval_20_ppgn.png')) > 1000
    assert tree_digest(os.path.join(trained_ae, 'checkpoints')) == before


def test_eval_picks_the_named_step_and_is_deterministic(trained_ae):
    first = aegan_eval.evaluate(os.path.join(trained_ae, 'checkpoints', '10'), num_samples=500, seed=1)
    again = aegan_eval.evaluate(os.path.join(trained_ae, 'checkpoints', '10'), num_samples=500, seed=1)
    assert first['step'] == 10 and first['json'].endswith('eval_10.json') and first['sampler'] == 'prior'
    assert first['metrics'] == again['metrics']


def test_eval_errors_are_clear_and_touch_nothing(tmp_path, trained_ae):
    with pytest.raises(FileNotFoundError, match='has no config.json, so it is not an aegan workdir'):
        aegan_eval.evaluate(str(tmp_path))
    with pytest.raises(FileNotFoundError, match='No checkpoint at'):
        aegan_eval.evaluate(os.path.join(trained_ae, 'checkpoints', '999'))
    # A corrupt checkpoint: a clear error naming it, and it stays where it was.
    broken = tmp_path / 'broken'
    shutil.copytree(trained_ae, broken)
    data_dir = broken / 'checkpoints' / '20' / 'default'
    for root, _, files in os.walk(data_dir):
        for name in files:
            if name not in ('_METADATA', '_CHECKPOINT_METADATA', 'commit_success.txt'):
                with open(os.path.join(root, name), 'wb') as f:
                    f.write(b'not a checkpoint')
    with pytest.raises(ValueError, match=r'checkpoints/20 is unreadable .*--checkpoint=.*checkpoints/<step>'):
        aegan_eval.evaluate(str(broken))
    assert os.path.isdir(data_dir) and not os.path.exists(broken / 'corrupt_checkpoints')
