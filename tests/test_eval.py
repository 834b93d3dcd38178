"""The eval binary: restores a run read-only, samples with --sampler, writes eval_<step>[_ppgn].json and a PNG."""

import hashlib
import json
import os
import shutil
import subprocess
import sys

import jax
import numpy as np
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
    assert written['settings']['ppgn']['num_steps'] == 5 and written['settings']['ppgn']['prior_model'] == 'dae'
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


@pytest.fixture(scope='module')
def trained_image_runs(tmp_path_factory):
    """A tiny alpha-GAN on Stacked MNIST and a tiny MNIST classifier, both through the train loop."""
    import configs.tiny

    root = tmp_path_factory.mktemp('image_runs')
    gan = configs.tiny.get_config('alphagan,stacked_mnist')
    gan.num_train_steps, gan.checkpoint_every_steps, gan.sample_every_steps = 10, 10, 10
    trainer.train_and_evaluate(gan, str(root / 'gan'), devices=jax.devices()[:1])
    clf = configs.tiny.get_config('classifier,mnist')
    clf.num_train_steps, clf.checkpoint_every_steps, clf.sample_every_steps = 30, 30, 30
    trainer.train_and_evaluate(clf, str(root / 'clf'), devices=jax.devices()[:1])
    return str(root / 'gan'), str(root / 'clf')


def test_image_metrics_end_to_end(trained_image_runs, tmp_path):
    """Every metric through evaluate(), with a random-valued Inception (the real weights cannot be downloaded here)."""
    import numpy as np
    from test_inception import make_fake_state_dict

    from aegan.metrics import convert_inception

    gan, clf = trained_image_runs
    np.savez(tmp_path / 'torch_names.npz', **make_fake_state_dict())
    weights = str(tmp_path / 'inception.npz')
    convert_inception.convert_file(str(tmp_path / 'torch_names.npz'), weights)
    result = aegan_eval.evaluate(
        gan,
        num_samples=24,
        metrics=list(aegan_eval.METRICS),
        inception_weights=weights,
        classifier=clf,
        cache_dir=str(tmp_path / 'cache'),
        ms_ssim_pairs=20,
        critic_steps=20,
    )
    metrics = result['metrics']
    assert 1 <= metrics['modes'] <= 24 and metrics['reverse_kl'] >= 0
    assert metrics['inception_score'] >= 1.0 and np.isfinite(metrics['fid']) and np.isfinite(metrics['kid'])
    assert 0 <= metrics['ms_ssim'] <= 1 and metrics['ms_ssim_diversity'] == pytest.approx(1 - metrics['ms_ssim'])
    assert {'reconstruction_l1', 'reconstruction_l2', 'reconstruction_ms_ssim', 'critic_wasserstein'} <= set(metrics)
    # The dataset IS needs a classifier of the run's own data: a clear skip reason, never a wrong number.
    assert 'dataset_inception_score' not in metrics
    with open(result['json']) as f:
        written = json.load(f)
    assert written['settings']['inception']['sha256'] == aegan_eval.inception.sha256_of(weights)
    assert written['settings']['mode_coverage']['classifier'] == clf
    assert 0 <= written['settings']['mode_coverage']['classifier_test_accuracy'] <= 1
    assert written['num_samples'] == 24 and written['settings']['seed'] == 0
    assert [os.path.basename(p) for p in written['plots']] == ['eval_10.png', 'eval_10_modes.png']
    # The reference statistics were computed once and cached.
    assert len(os.listdir(tmp_path / 'cache')) == 1


def test_missing_inception_weights_skip_with_instructions(trained_image_runs, tmp_path, monkeypatch):
    gan, clf = trained_image_runs
    monkeypatch.delenv(aegan_eval.WEIGHTS_ENV, raising=False)
    result = aegan_eval.evaluate(
        gan, num_samples=8, metrics=['inception_score', 'fid', 'ms_ssim'], ms_ssim_pairs=4, cache_dir=str(tmp_path)
    )
    assert set(result['skipped']) == {'inception_score', 'fid'} and 'ms_ssim' in result['metrics']
    assert 'convert_inception' in result['skipped']['fid'] and 'AEGAN_INCEPTION_WEIGHTS' in result['skipped']['fid']
    with pytest.raises(ValueError, match="Unknown metrics \\['psnr'\\]"):
        aegan_eval.evaluate(gan, num_samples=8, metrics=['psnr'])
    with pytest.raises(ValueError, match="'classifier' run, which has no samples"):
        aegan_eval.evaluate(clf)


def test_mnist_counter_is_trained_once_and_cached(tmp_path, monkeypatch):
    import configs.tiny

    from aegan.methods import classifier

    def tiny_counter():
        config = configs.tiny.get_config('classifier,mnist')
        config.num_train_steps, config.checkpoint_every_steps, config.sample_every_steps = 10, 10, 10
        return config

    monkeypatch.setattr(classifier, 'mnist_counter_config', tiny_counter)
    digits, accuracy, path = aegan_eval.mnist_counter(None, str(tmp_path))
    assert path == str(tmp_path / 'mnist_classifier') and 0 <= accuracy <= 1
    stamp = os.path.getmtime(tmp_path / 'mnist_classifier' / 'checkpoints' / '10')
    _, again, _ = aegan_eval.mnist_counter(None, str(tmp_path))
    assert again == accuracy and os.path.getmtime(tmp_path / 'mnist_classifier' / 'checkpoints' / '10') == stamp
    assert digits(np.zeros((3, 28, 28, 1), np.float32)).shape == (3,)
