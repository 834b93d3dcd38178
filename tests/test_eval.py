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
from PIL import Image

from aegan import checkpointing, reference_data, runs, samplers, trainer
from aegan import eval as aegan_eval
from aegan.evaluators import context, inception_features, mode_counter
from aegan.metrics import prdc as prdc_lib


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
        'precision',
        'recall',
        'density',
        'coverage',
    }
    assert written['settings']['precision_recall']['features'] == 'data'  # 2-D: the points themselves
    assert written['settings']['ppgn']['chunk'] == aegan_eval.PPGN_CHUNK
    assert os.path.getsize(os.path.join(trained_ae, 'eval_20_ppgn.png')) > 1000
    assert tree_digest(os.path.join(trained_ae, 'checkpoints')) == before


def test_eval_picks_the_named_step_and_is_deterministic(trained_ae):
    first = aegan_eval.evaluate(os.path.join(trained_ae, 'checkpoints', '10'), num_samples=500, seed=1)
    again = aegan_eval.evaluate(os.path.join(trained_ae, 'checkpoints', '10'), num_samples=500, seed=1)
    assert first['step'] == 10 and first['json'].endswith('eval_10.json') and first['sampler'] == 'prior'
    assert first['metrics'] == again['metrics']


def test_metrics_added_later_join_the_eval_of_the_same_samples(trained_ae, tmp_path):
    """Metrics can be added to an eval one call at a time; an eval of other samples never silently replaces one."""
    workdir = str(tmp_path / 'run')
    shutil.copytree(trained_ae, workdir)
    first = aegan_eval.evaluate(workdir, num_samples=300, metrics=['mode_coverage'])
    second = aegan_eval.evaluate(workdir, num_samples=300, metrics=['precision_recall', 'reconstruction'])
    with open(second['json']) as f:
        written = json.load(f)
    assert written['metrics'] == {**first['metrics'], **second['metrics']} == second['metrics']
    assert {'modes', 'precision', 'recall', 'reconstruction_l1'} <= set(written['metrics'])
    assert {'mode_coverage', 'precision_recall', 'reconstruction', 'seed', 'weights', 'batchnorm_passes'} == set(
        written['settings']
    )
    other = aegan_eval.evaluate(workdir, num_samples=300, seed=1, metrics=['reconstruction'])  # other samples
    assert 'modes' not in other['metrics']
    replaced = [p for p in os.listdir(workdir) if p.startswith('eval_20.replaced_')]
    assert len(replaced) == 1
    with open(os.path.join(workdir, replaced[0])) as f:
        assert json.load(f)['metrics'] == written['metrics']


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


# The tests that use `trained_image_runs` run on one xdist worker, which trains them once (each worker would build a
# module fixture of its own: 30 s more of CI).
ON_THE_IMAGE_RUNS_WORKER = pytest.mark.xdist_group('eval_trained_image_runs')


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


@ON_THE_IMAGE_RUNS_WORKER
def test_image_metrics_end_to_end(trained_image_runs, tmp_path):
    """Every metric through evaluate(), with a random-valued Inception (the real weights cannot be downloaded here)."""
    import numpy as np
    from test_inception import make_fake_state_dict

    from aegan.metrics import convert_inception, inception

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
        reference_images=30,
    )
    metrics = result['metrics']
    expected = {'modes', 'reverse_kl', 'inception_score', 'fid', 'kid', 'ms_ssim', 'ms_ssim_diversity'}
    expected |= {'reconstruction_l1', 'reconstruction_l2', 'reconstruction_ms_ssim', 'critic_wasserstein'}
    assert expected <= set(metrics) and all(np.isfinite(metrics[k]) for k in expected)  # values: the tests below
    # The dataset IS needs a classifier of the run's own data: a clear skip reason, never a wrong number.
    assert 'dataset_inception_score' not in metrics
    with open(result['json']) as f:
        written = json.load(f)
    assert written['settings']['inception']['sha256'] == inception.sha256_of(weights)
    assert written['settings']['mode_coverage']['classifier'] == clf
    assert written['num_samples'] == 24 and written['settings']['seed'] == 0
    # The counts a reader needs to compare with a published protocol: N, IS's split size, the reference's rows.
    reference = written['settings']['fid']['reference']
    assert written['settings']['fid']['num_samples'] == written['settings']['kid']['num_samples'] == 24
    assert written['settings']['inception_score']['split_size'] == 2
    assert reference['rows'] == [0, 30] and reference['stream_seed'] == reference_data.REFERENCE_SEED
    assert reference['split_size'] is None and not reference['whole_split']  # Stacked MNIST is sampled
    assert {'sampling', 'inception', 'reference', 'fid', 'kid', 'inception_score', 'total'} <= set(written['seconds'])
    pictures = ['eval_10.png', 'eval_10_modes.png', 'eval_10_reconstructions.png']
    assert [os.path.basename(p) for p in written['plots']] == pictures
    with Image.open(os.path.join(os.path.dirname(result['json']), pictures[-1])) as picture:
        assert picture.size[0] == 4 * (2 * 84 + 6) + 6  # 4 labelled original | reconstruction pairs a row, 28 px x 3
    # The reference statistics were computed once and cached.
    assert len([p for p in os.listdir(tmp_path / 'cache') if p.startswith('fid_stats_')]) == 1


@ON_THE_IMAGE_RUNS_WORKER
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


def test_mnist_counter_is_trained_once_and_cached(tmp_path, monkeypatch):
    import configs.tiny

    from aegan import configs as aegan_configs
    from aegan import data

    def tiny_counter():
        config = configs.tiny.get_config('classifier,mnist')
        config.num_train_steps, config.checkpoint_every_steps, config.sample_every_steps = 10, 10, 10
        return config

    monkeypatch.setattr(aegan_configs, 'mnist_counter_config', tiny_counter)
    counter = mode_counter.mnist_counter(None, str(tmp_path))
    path, accuracy = counter.path, counter.accuracy
    assert os.path.dirname(path) == str(tmp_path) and os.path.basename(path).startswith('mnist_counter_')
    # The held-out accuracy: the fraction of the 500 held-out digits whose most probable class is their label.
    mnist = data.get_dataset(tiny_counter().data)
    assert len(mnist.test_data) == 500
    assert accuracy == np.mean(counter.probabilities(mnist.test_data).argmax(-1) == mnist.info['test_labels'])
    stamp = os.path.getmtime(os.path.join(path, 'checkpoints', '10'))
    again = mode_counter.mnist_counter(None, str(tmp_path))
    assert again.accuracy == accuracy and again.path == path and again.weights_sha256 == counter.weights_sha256
    assert os.path.getmtime(os.path.join(path, 'checkpoints', '10')) == stamp
    p = counter.probabilities(np.zeros((3, 28, 28, 1), np.float32))
    assert p.shape == (3, 10) and np.allclose(p.sum(-1), 1, atol=1e-5)

    def other_recipe():  # a changed counter recipe trains into its own directory instead of refusing to resume
        config = tiny_counter()
        config.model.width = 8
        return config

    monkeypatch.setattr(aegan_configs, 'mnist_counter_config', other_recipe)
    other_path = mode_counter.mnist_counter(None, str(tmp_path)).path
    assert other_path != path and os.path.exists(os.path.join(other_path, 'checkpoints', '10'))


def test_an_eval_waits_for_a_counter_that_another_process_is_training(tmp_path, monkeypatch):
    """A study's parallel evals (or SLURM tasks) share the cached counter: the one that finds it locked waits for the
    other to finish, then uses it, instead of failing."""
    from aegan import locking, trainer

    calls, sleeps = [], []

    def busy_then_done(config, path, devices=None):
        calls.append(path)
        if len(calls) < 3:
            raise locking.WorkdirInUseError(f'{path} is in use')

    monkeypatch.setattr(trainer, 'train_and_evaluate', busy_then_done)
    monkeypatch.setattr(mode_counter.time, 'sleep', sleeps.append)
    monkeypatch.setattr(runs, 'load_classifier', lambda path, data: (_ for _ in ()).throw(RuntimeError('loaded')))
    with pytest.raises(RuntimeError, match='loaded'):  # it got past the training to loading the counter
        mode_counter.mnist_counter(None, str(tmp_path))
    assert len(calls) == 3 and sleeps == [10, 10]
    monkeypatch.setattr(mode_counter, 'COUNTER_WAIT_SECONDS', 10)
    calls.clear()
    with pytest.raises(locking.WorkdirInUseError):  # a lock that never goes away ends the wait
        mode_counter.mnist_counter(None, str(tmp_path))


# ---- Known inputs through the binary: the numbers must be exactly what the samples make them. -------------------


def eval_binary(repo, checkpoint, *flags):
    command = [sys.executable, '-m', 'aegan.eval', f'--checkpoint={checkpoint}', *flags]
    env = {**os.environ, 'JAX_NUM_CPU_DEVICES': '1'}
    result = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    name = 'eval_' + os.path.basename(checkpoint) if checkpoint.split(os.sep)[-2] == 'checkpoints' else None
    workdir = os.path.dirname(os.path.dirname(checkpoint)) if name else checkpoint
    paths = sorted(p for p in os.listdir(workdir) if p.startswith(name or 'eval_') and p.endswith('.json'))
    with open(os.path.join(workdir, paths[-1])) as f:
        return json.load(f)


def save_state(workdir, config, state, step):
    manager = checkpointing.make_manager(workdir, config)
    checkpointing.save(manager, step, state, 1, force=True)
    manager.wait_until_finished()
    manager.close()


def test_three_mode_generator_gives_exactly_three_modes_and_the_exact_kl(repo, trained_ae, tmp_path):
    """An AE whose generator is set by hand to a step function of z_0: z_0 < -0.43 -> mode 0, up to 0.43 -> mode 2,
    above -> mode 5. Counts come from the same prior draw (key = --seed); the KL is computed here by hand."""
    workdir = str(tmp_path / 'run')
    shutil.copytree(trained_ae, workdir)
    _, _, config, dataset, method, state = runs.restore(workdir)
    centers = dataset.info['centers'][[0, 2, 5]]
    k, (t1, t2) = 1e4, (-0.43, 0.43)
    gen = jax.tree.map(np.zeros_like, jax.device_get(state.params['generator']))
    dense = gen['MLP_0']
    dense['Dense_0']['kernel'][0, :4] = k  # units: k(z0 - t) + 1 and k(z0 - t) for t1, t2
    dense['Dense_0']['bias'][:4] = [-k * t1 + 1, -k * t1, -k * t2 + 1, -k * t2]
    # leaky_relu(a + 1) - leaky_relu(a) is 1 above the threshold and 0.2 below it (the slope): a two-level step.
    dense['Dense_1']['kernel'][[0, 1], 0] = [1, -1]
    dense['Dense_1']['kernel'][[2, 3], 1] = [1, -1]
    dense['Dense_2']['kernel'][0] = (centers[1] - centers[0]) / 0.8
    dense['Dense_2']['kernel'][1] = (centers[2] - centers[1]) / 0.8
    dense['Dense_2']['bias'][:] = centers[0] - 0.2 / 0.8 * (centers[2] - centers[0])
    save_state(workdir, config, state.replace(params={**state.params, 'generator': gen}), 30)
    seed = 3
    z0 = np.asarray(method.prior(jax.random.key(seed), 2500))[:, 0]
    edge = lambda t: (z0 > t - 2 / k) & (z0 < t)  # the ramp between the two levels is 1/k wide
    assert not np.any(edge(t1) | edge(t2)), 'a draw on a step edge; pick another seed'
    counts = np.array([(z0 < t1).sum(), ((z0 > t1) & (z0 < t2)).sum(), (z0 > t2).sum()])
    p = counts / counts.sum()
    written = eval_binary(repo, os.path.join(workdir, 'checkpoints', '30'), f'--seed={seed}', '--metrics=mode_coverage')
    assert written['metrics']['modes'] == 3 and written['metrics']['high_quality_fraction'] == 1.0
    assert written['metrics']['reverse_kl'] == pytest.approx(float(np.sum(p * np.log(8 * p))), rel=1e-9)


@ON_THE_IMAGE_RUNS_WORKER
def test_constant_images_give_one_mode_kl_log_1000_and_ms_ssim_one(repo, trained_image_runs, tmp_path):
    """A Stacked MNIST generator whose last layer's kernel is zero draws one image 26k times: exactly 1 mode, KL
    log 1000, MS-SSIM exactly 1 (diversity 0). The trained generator's samples give another MS-SSIM."""
    gan, clf = trained_image_runs
    workdir = str(tmp_path / 'gan')
    shutil.copytree(gan, workdir)
    _, _, config, _, _, state = runs.restore(workdir)
    gen = jax.device_get(state.params['generator'])
    last = sorted(k for k in gen if k.startswith('UpConv'))[-1]
    gen[last] = jax.tree.map(np.zeros_like, gen[last])
    save_state(workdir, config, state.replace(params={**state.params, 'generator': gen}), 20)
    flags = ['--metrics=mode_coverage,ms_ssim,precision_recall,density_coverage', f'--classifier={clf}']
    flags += ['--num_samples=200', '--ms_ssim_pairs=50', '--prdc_samples=150']
    written = eval_binary(repo, os.path.join(workdir, 'checkpoints', '20'), *flags)
    constant = written['metrics']
    assert constant['modes'] == 1 and constant['reverse_kl'] == pytest.approx(np.log(1000), rel=1e-9)
    assert constant['confident_fraction'] in (0.0, 1.0)  # one image: all of its copies are confident, or none
    # The real-data floor in the JSON is the same counter on 200 real triples (training and held-out digits).
    counter = mode_counter.mnist_counter(clf, str(tmp_path))
    probabilities, accuracy = counter.probabilities, counter.accuracy
    floor = mode_counter.real_data_floor(runs.restore(workdir).dataset, probabilities, 200, 0)
    assert written['settings']['mode_coverage']['real_data'] == floor
    assert written['settings']['mode_coverage']['classifier_test_accuracy'] == accuracy
    assert floor['train_triples']['modes'] > 100 and floor['uniform_multinomial_kl'] > 1
    assert constant['ms_ssim'] == 1.0 and constant['ms_ssim_diversity'] == 0.0
    # One image: its sample manifold is a point (k-NN radius 0), so no real point is recalled, and at most the few
    # real balls around that image are covered.
    assert constant['recall'] == 0.0 and constant['coverage'] < 0.1
    assert written['settings']['precision_recall']['num_samples'] == 150
    trained = eval_binary(repo, os.path.join(workdir, 'checkpoints', '10'), *flags)['metrics']
    assert trained['ms_ssim'] != constant['ms_ssim'] and trained['ms_ssim_diversity'] > 0


@ON_THE_IMAGE_RUNS_WORKER
def test_the_real_data_floor_is_cached_per_data_seed_count_and_counter_weights(
    trained_image_runs, tmp_path, monkeypatch
):
    """The floor classifies 2n real triples (as long as the samples' count at n = 26,000), so it is computed once per
    data config, seed, n and counter *weights*: a counter retrained in the same workdir gets a new entry, as do the
    cached real-data precision/recall numbers."""
    gan, clf = trained_image_runs
    counter = str(tmp_path / 'counter')  # a copy, retrained in place below
    shutil.copytree(clf, counter)
    cache = tmp_path / 'cache'
    options = dict(num_samples=60, metrics=['mode_coverage', 'precision_recall'], cache_dir=str(cache))
    kwargs = dict(classifier=counter, **options)
    first = aegan_eval.evaluate(gan, **kwargs)['settings']['mode_coverage']['real_data']
    assert len(list(cache.glob('mode_floor_*.json'))) == 1
    computed = []
    real_floor = mode_counter.real_data_floor
    monkeypatch.setattr(mode_counter, 'real_data_floor', lambda *a: computed.append(a) or real_floor(*a))
    assert aegan_eval.evaluate(gan, **kwargs)['settings']['mode_coverage']['real_data'] == first
    assert computed == []  # read from the cache
    aegan_eval.evaluate(gan, **{**kwargs, 'seed': 1})
    aegan_eval.evaluate(gan, **{**kwargs, 'num_samples': 50})
    assert len(computed) == 2 and len(list(cache.glob('mode_floor_*.json'))) == 3
    # The same counter workdir with one weight changed: recomputed, not read from the old entry.
    _, _, config, _, _, state = runs.restore(counter)
    params = jax.tree.map(np.asarray, jax.device_get(state.params))
    first_leaf = jax.tree_util.tree_leaves_with_path(params)[0][0]
    params = jax.tree_util.tree_map_with_path(lambda path, v: v + 0.5 if path == first_leaf else v, params)
    shutil.rmtree(os.path.join(counter, 'checkpoints'))
    save_state(counter, config, state.replace(params=params), 20)
    again = aegan_eval.evaluate(gan, **kwargs)
    assert len(computed) == 3 and len(list(cache.glob('mode_floor_*.json'))) == 4
    # So are precision/recall's real-data numbers (a second draw of training data, in the counter's features) and
    # the real features' k-NN radii: per n and counter weights (the draws' seeds are the run's, not the eval's).
    assert len(list(cache.glob('prdc_real_*.json'))) == len(list(cache.glob('prdc_real_*_radii.npz'))) == 3
    # A repeat eval reads the radii: only the samples' own set is searched for neighbours.
    searched = []
    knn_radii = prdc_lib.knn_radii
    monkeypatch.setattr(prdc_lib, 'knn_radii', lambda points, *a: searched.append(len(points)) or knn_radii(points, *a))
    assert aegan_eval.evaluate(gan, **kwargs)['metrics']['recall'] == again['metrics']['recall']
    assert searched == [options['num_samples']]


@ON_THE_IMAGE_RUNS_WORKER
def test_prdc_in_the_eval_compares_counter_features_of_samples_and_training_triples(trained_image_runs, tmp_path):
    """The eval's numbers are prdc() of the counter's per-channel penultimate features of its own samples and of as
    many training triples (rows [0, n) of the reference stream, as the FID reference), with the settings that say
    so; the real-data row is the next n rows."""
    from aegan.metrics import prdc

    gan, clf = trained_image_runs
    options = dict(num_samples=120, classifier=clf, metrics=['precision_recall', 'density_coverage'], prdc_samples=90)
    result = aegan_eval.evaluate(gan, **options)
    run = runs.restore(gan)
    samples, _ = aegan_eval.draw_samples(run, context.Options(**options), 120)
    counter = mode_counter.mnist_counter(clf, str(tmp_path))
    features = lambda x: np.concatenate([counter.features(x[..., c : c + 1]) for c in range(3)], -1)
    real = reference_data.images(run.dataset, 0, 90)
    assert features(real).shape == (90, 3 * counter.features(real[..., :1]).shape[1])
    expected = prdc.prdc(features(real), features(samples[:90]))
    assert {k: result['metrics'][k] for k in expected} == expected
    settings = result['settings']['density_coverage']
    assert settings['features'].startswith('mnist_counter_penultimate') and settings['num_real'] == 90
    assert settings['k_precision_recall'] == 3 and settings['k_density_coverage'] == 5
    second_draw = prdc.prdc(features(real), features(reference_data.images(run.dataset, 90, 180)))
    assert settings['real_data'] == {**second_draw, 'draw': 'reference rows [90, 180)'}
    assert settings['real'] == reference_data.describe(run.dataset, 0, 90)


@ON_THE_IMAGE_RUNS_WORKER
def test_every_seed_is_scored_against_the_same_real_images(trained_image_runs, tmp_path):
    """Two runs that differ only in their training seed read the same real set: the same rows, and (each with a cache
    of its own, so nothing is shared) the same real-data precision/recall to the digit, which compare that real set
    with the next rows of the stream. Drawn with the run's seed, each seed had its own."""
    gan, clf = trained_image_runs
    settings = []
    for seed in (0, 5):
        workdir = tmp_path / f'seed_{seed}'
        shutil.copytree(gan, workdir)
        config = json.loads((workdir / 'config.json').read_text())
        (workdir / 'config.json').write_text(json.dumps({**config, 'seed': seed}))
        assert runs.restore(str(workdir)).config.seed == seed
        options = dict(metrics=['precision_recall'], classifier=clf, cache_dir=str(tmp_path / f'cache_{seed}'))
        result = aegan_eval.evaluate(str(workdir), num_samples=60, prdc_samples=50, **options)
        settings.append(result['settings']['precision_recall'])
    assert settings[0]['real'] == settings[1]['real'] and settings[0]['real']['rows'] == [0, 50]
    assert settings[0]['real_data'] == settings[1]['real_data'] and settings[0]['real_data']['recall'] > 0


GENERATIVE = ('ae', 'vae', 'dcgan', 'wgan_gp', 'aae', 'age', 'alphagan')


@ON_THE_IMAGE_RUNS_WORKER
@pytest.mark.usefixtures('fast_compile')  # 14 tiny runs, each compiled once (conftest.py)
@pytest.mark.parametrize('dataset_name', ['ring8', 'stacked_mnist'])
@pytest.mark.parametrize('method_name', GENERATIVE)
def test_eval_runs_on_a_checkpoint_of_every_method(method_name, dataset_name, trained_image_runs, tmp_path):
    import configs.tiny

    config = configs.tiny.get_config(f'{method_name},{dataset_name}')
    config.num_train_steps = config.checkpoint_every_steps = config.sample_every_steps = 2
    workdir = str(tmp_path / 'run')
    trainer.train_and_evaluate(config, workdir, devices=jax.devices()[:1])
    _, clf = trained_image_runs
    kwargs = dict(num_samples=40, classifier=clf, ms_ssim_pairs=5, cache_dir=str(tmp_path / 'cache'))
    result = aegan_eval.evaluate(workdir, **kwargs)
    assert result['method'] == method_name and result['step'] == 2 and 'modes' in result['metrics']
    has_encoder = method_name not in ('dcgan', 'wgan_gp')
    assert ('reconstruction_l1' in result['metrics']) == has_encoder
    if has_encoder and dataset_name == 'ring8':
        ppgn = samplers.PPGNSettings(num_steps=3, dae_steps=20)
        result = aegan_eval.evaluate(workdir, sampler='ppgn', ppgn=ppgn, **kwargs)
        assert result['sampler'] == 'ppgn' and 'modes' in result['metrics']


@ON_THE_IMAGE_RUNS_WORKER
def test_eval_of_a_classifier_is_its_held_out_accuracy(trained_image_runs):
    from aegan.methods import classifier

    _, clf = trained_image_runs
    result = aegan_eval.evaluate(clf)
    _, _, config, dataset, method, state = runs.restore(clf)
    expected = classifier.accuracy(method, state, dataset.test_data, dataset.info['test_labels'])
    assert result['metrics']['test_accuracy'] == expected and result['json'].endswith('eval_30.json')
    with pytest.raises(ValueError, match='no samples: its eval is the held-out accuracy alone'):
        aegan_eval.evaluate(clf, sampler='ppgn')


@ON_THE_IMAGE_RUNS_WORKER
def test_ppgn_class_term_uses_the_classifier_and_the_seed(trained_image_runs, tmp_path, monkeypatch):
    """eps2 > 0 with --classifier: the chain follows the classifier's gradient (other samples than eps2 = 0); the
    DAE's key comes from --seed (same seed, same samples). The samples are compared as drawn (captured where the
    eval writes its grid), from an AE trained 100 steps: after 2 steps its images are nearly constant and the class
    term moved them by 5e-9, which a summary metric cannot see."""
    import configs.tiny

    from aegan import writers

    _, clf = trained_image_runs
    config = configs.tiny.get_config('ae,mnist')
    config.num_train_steps = config.checkpoint_every_steps = config.sample_every_steps = 100
    workdir = str(tmp_path / 'ae_mnist')
    trainer.train_and_evaluate(config, workdir, devices=jax.devices()[:1])
    drawn = []
    save_grid = writers.save_image_grid
    capture = lambda path, images: drawn.append(images) or save_grid(path, images)  # noqa: E731
    monkeypatch.setattr(writers, 'save_image_grid', capture)
    runs = {}
    for eps2, seed in ((0.0, 0), (0.5, 0), (0.5, 0)):
        settings = samplers.PPGNSettings(num_steps=3, dae_steps=20, eps2=eps2)
        kwargs = dict(sampler='ppgn', ppgn=settings, num_samples=8, seed=seed, metrics=['ms_ssim'], ms_ssim_pairs=4)
        runs.setdefault(eps2, []).append(aegan_eval.evaluate(workdir, classifier=clf, **kwargs))
    assert runs[0.5][0]['settings']['ppgn']['classifier'] == clf
    without_class_term, with_class_term, again = drawn
    np.testing.assert_array_equal(with_class_term, again)
    # Measured: 0.038 with the class term; 3e-8 (compilation noise) when the term is multiplied by 0.
    assert np.max(np.abs(with_class_term - without_class_term)) > 1e-3
    with pytest.raises(ValueError, match='--ppgn_eps2 > 0 needs --classifier'):
        aegan_eval.evaluate(workdir, sampler='ppgn', ppgn=settings, num_samples=8, metrics=['ms_ssim'])


def test_fid_reference_cache_is_keyed_on_everything_that_changes_the_reference(tmp_path, monkeypatch):
    """Another crop, source or sample count computes new statistics; another data_dir or run seed reuses them (the
    reference is the same rows of one stream for every run of a dataset)."""
    import types

    from aegan.configs import base_config

    computed = []

    def features(weights, images):
        n = sum(len(chunk) for chunk in images)
        computed.append(n)
        return {'pool3': np.random.default_rng(len(computed)).normal(size=(n, 4))}

    monkeypatch.setattr(inception_features, 'inception_features', features)
    dataset = types.SimpleNamespace(name='celeb_a', info={}, global_batch=lambda seed, step, n: np.zeros((n, 2)))
    config = base_config()
    config.data.name, config.data.crop = 'celeb_a', 108

    def reference(n=8, **changes):
        changed = config.copy_and_resolve_references()
        for key, value in changes.items():
            (changed.data if key != 'seed' else changed)[key] = value
        run = types.SimpleNamespace(dataset=dataset, config=changed)
        return inception_features.reference_features(None, run, 'w.npz', 'ab' * 32, n, str(tmp_path))[0]

    first = reference()
    np.testing.assert_array_equal(reference(data_dir='/elsewhere', num_threads=3, seed=1), first)  # cached
    assert computed == [8]
    for changes in ({'crop': 140}, {'source': 'other'}):
        assert not np.array_equal(reference(**changes), first), changes
    reference(n=16)
    assert computed == [8, 8, 8, 16] and len(os.listdir(tmp_path)) == 4


def test_the_default_sample_counts_are_the_published_protocols():
    """PacGAN's 2,500 (2-D) and 26,000 (Stacked MNIST), 50,000 for RGB images: the counts a reader compares with."""
    from types import SimpleNamespace

    count = lambda name, shape: aegan_eval.default_num_samples(SimpleNamespace(name=name, shape=shape))
    assert count('ring8', (2,)) == 2500 and count('stacked_mnist', (28, 28, 3)) == 26_000
    assert count('cifar10', (32, 32, 3)) == 50_000
