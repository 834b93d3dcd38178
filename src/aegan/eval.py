"""Evaluates a trained run: `python -m aegan.eval --checkpoint=<workdir or workdir/checkpoints/STEP>`.

Restores the state and the run's saved config.json (read-only: nothing under checkpoints/ is touched), draws samples
on all local devices with `--sampler` (`prior`, or `ppgn`: MCMC in code space, samplers.py), computes `--metrics`
(default: what fits the data), prints a table and writes `<workdir>/eval_<step>.json` (`eval_<step>_ppgn.json`)
with the metric values, sample count, seeds, metric settings and the Inception weights' sha256, plus PNGs beside it:
the sample grid (2D: a scatter with the modes marked), and for Stacked MNIST the histogram of the 1,000 modes.

Metrics (exact algorithms and sources in docs/metrics.md):
  mode_coverage            2D mixtures: modes, % within 3 std, reverse KL. Stacked MNIST: modes of 1,000 and
                           KL(p_gen || uniform) from an MNIST classifier (--classifier, or trained and cached).
  inception_score, fid,    the 2015-12-05 Inception (--inception_weights); FID/KID against --fid_reference or
  kid                      statistics computed from the training data and cached.
  dataset_inception_score  IS with a dataset classifier trained by aegan.train (--classifier=WORKDIR).
  ms_ssim                  sample diversity: mean MS-SSIM over seeded random pairs, and 1 - that.
  reconstruction           L1, L2 and MS-SSIM between held-out x and G(E(x)) (methods with an encoder).
  critic                   the alpha-GAN paper's independent Wasserstein critic, on held-out data.
"""

import hashlib
import json
import os
import time

import jax
import jax.numpy as jnp
import numpy as np
from absl import app, flags, logging
from etils import epath
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from aegan import checkpointing, compilation_cache, data, locking, methods, parallel, samplers, trainer, writers
from aegan.data import mnist as mnist_lib
from aegan.methods import classifier as classifier_lib
from aegan.metrics import critic, fid, inception, inception_score, mode_coverage, ms_ssim

METRICS = (
    'mode_coverage',
    'inception_score',
    'fid',
    'kid',
    'dataset_inception_score',
    'ms_ssim',
    'reconstruction',
    'critic',
)
INCEPTION_METRICS = ('inception_score', 'fid', 'kid')
NUM_SAMPLES_2D = 2500  # PacGAN/VEEGAN's `num_log_figure_sample`.
NUM_SAMPLES_STACKED_MNIST = 26_000  # PacGAN's Stacked MNIST count.
NUM_SAMPLES_IMAGES = 10_000
NUM_DAE_TRAIN = 10_000  # Training examples whose codes the PPGN DAE learns.
NUM_RECONSTRUCTIONS = 2500
COUNTER_WAIT_SECONDS = 1800  # how long an eval waits for another process training the mode counter
PPGN_CHUNK = 1000  # chains run (and images are decoded) this many at a time
WEIGHTS_ENV = 'AEGAN_INCEPTION_WEIGHTS'
_PPGN = samplers.PPGNSettings()  # defaults

FLAGS = flags.FLAGS
flags.DEFINE_string('checkpoint', None, 'A workdir of aegan.train (its newest checkpoint) or <workdir>/checkpoints/N.')
flags.DEFINE_enum('sampler', 'prior', samplers.SAMPLERS, 'prior: G(z), z ~ p(z). ppgn: PPGN chain in code space.')
flags.DEFINE_list('metrics', None, f'Metrics to compute, from {list(METRICS)} (default: those that fit the data).')
flags.DEFINE_integer('num_samples', None, 'Samples to draw (default: 2,500 for 2D, 26,000 Stacked MNIST, else 10,000).')
flags.DEFINE_integer('seed', 0, "Seed of the samples, the chain and the metrics' random pairs.")
flags.DEFINE_string(
    'inception_weights', None, f'Converted Inception .npz (aegan.metrics.convert_inception); or ${WEIGHTS_ENV}.'
)
flags.DEFINE_string('classifier', None, 'Workdir of a classifier trained by aegan.train (experiments/classifier_*.py).')
flags.DEFINE_string('fid_reference', None, '.npz with mu, sigma (and features for KID) of the real data.')
flags.DEFINE_string('cache_dir', '~/.cache/aegan', 'Where computed reference statistics and the MNIST counter go.')
flags.DEFINE_string(
    'compilation_cache',
    compilation_cache.default_dir(),
    f"JAX's persistent compilation cache directory ('' = off; default from ${compilation_cache.ENV} if set).",
)
flags.DEFINE_integer('ms_ssim_pairs', 1000, 'Random distinct pairs for MS-SSIM diversity.')
flags.DEFINE_enum('ms_ssim_small_images', 'shrink_filter', ms_ssim.SMALL_IMAGE_POLICIES, 'MS-SSIM below 176 px.')
flags.DEFINE_integer('critic_steps', 1000, 'Training steps of the independent Wasserstein critic.')
flags.DEFINE_integer('ppgn_steps', _PPGN.num_steps, 'PPGN: chain length.')
flags.DEFINE_float('ppgn_eps1', _PPGN.eps1, 'PPGN: weight of the prior term R(h) - h.')
flags.DEFINE_float('ppgn_eps3', _PPGN.eps3, 'PPGN: std of the noise added at each step.')
flags.DEFINE_float('ppgn_eps2', _PPGN.eps2, 'PPGN: weight of the class term d log p(y|G(h))/dh (needs --classifier).')
flags.DEFINE_enum('ppgn_prior', _PPGN.prior_model, samplers.PRIOR_MODELS, 'PPGN: a DAE on codes, or R(h) = E(G(h)).')


def restore(checkpoint: str):
    """Returns (workdir, step, config, dataset, method, state) on the first local device."""
    workdir, step = checkpointing.resolve_checkpoint(checkpoint)
    config = checkpointing.load_config(workdir)
    dataset = data.get_dataset(config.data)
    method = methods.get_method(config, dataset.shape)
    example = jnp.zeros((1, *dataset.shape), jnp.float32)
    device = jax.sharding.SingleDeviceSharding(jax.local_devices()[0])
    abstract = jax.eval_shape(lambda: method.init(jax.random.key(0), example))
    abstract = jax.tree.map(lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=device), abstract)
    state = checkpointing.restore_read_only(workdir, step, abstract)
    return workdir, step, config, dataset, method, state


def default_metrics(dataset, method) -> list:
    if dataset.shape == (2,):
        names = ['mode_coverage']
    elif dataset.name == 'stacked_mnist':
        names = ['mode_coverage', 'ms_ssim']
    elif dataset.shape[-1] == 3:
        names = ['inception_score', 'fid', 'kid', 'ms_ssim']
    else:
        names = ['ms_ssim']
    return names + (['reconstruction'] if method.reconstruct is not None and dataset.test_data is not None else [])


def sample_on_all_devices(method, state, key, n: int, chunk: int = 2000) -> np.ndarray:
    """x = G(z) for z ~ p(z) drawn as one global array (so the samples do not depend on the device count), decoded
    in chunks sharded over the local devices."""
    mesh = parallel.make_mesh(jax.local_devices())
    devices = mesh.devices.size
    decode = jax.jit(
        method.decode,
        in_shardings=(parallel.replicated(mesh), NamedSharding(mesh, P(parallel.DATA_AXIS))),
        out_shardings=NamedSharding(mesh, P(parallel.DATA_AXIS)),
    )
    state = jax.device_put(state, parallel.replicated(mesh))
    codes = np.asarray(method.prior(key, n))
    chunk = max(devices, chunk // devices * devices)
    out = []
    for start in range(0, n, chunk):
        part = codes[start : start + chunk]
        padded = np.concatenate([part, np.repeat(part[-1:], -len(part) % devices, axis=0)])
        out.append(np.asarray(decode(state, padded))[: len(part)])
    return np.concatenate(out)


def load_classifier(path: str, expected_data: str | None = None):
    """(method, state) of a classifier workdir; checks it was trained on `expected_data` when given."""
    _, _, config, _, method, state = restore(path)
    if method.classify is None:
        raise ValueError(f'{path} holds a {config.method!r} run, not a classifier (experiments/classifier_*.py).')
    if expected_data and config.data.name != expected_data:
        raise ValueError(f'{path} is a classifier of {config.data.name!r}; this metric needs one of {expected_data!r}.')
    return method, state


def mnist_counter(path: str | None, cache_dir: str):
    """The Stacked MNIST mode counter: (probabilities([m, 28, 28, 1]) -> [m, 10], held-out accuracy, path) of
    `path`, or of the package's MNIST classifier trained once into `cache_dir/mnist_counter_<config hash>` (a new
    recipe gets a new directory, never a refused resume of the old one)."""
    if path is None:
        config = classifier_lib.mnist_counter_config()
        digest = hashlib.sha256(config.to_json(sort_keys=True).encode()).hexdigest()[:8]
        path = os.path.join(cache_dir, f'mnist_counter_{digest}')
        waited = 0
        while True:  # several evals (a study's parallel runs, SLURM array tasks) may ask for it at once
            try:
                trainer.train_and_evaluate(config, path, devices=jax.local_devices()[:1])  # resumes / returns if done
                break
            except locking.WorkdirInUseError:
                if waited >= COUNTER_WAIT_SECONDS:
                    raise
                logging.warning('Another process is training the mode counter into %s; waiting for it.', path)
                time.sleep(10)
                waited += 10
    method, state = load_classifier(path, 'mnist')
    mnist = data.get_dataset(checkpointing.load_config(path).data)
    accuracy = classifier_lib.accuracy(method, state, mnist.test_data, mnist.info['test_labels'])
    classify = jax.jit(lambda state, x: jax.nn.softmax(method.classify(state, x)))
    probabilities = lambda x: np.concatenate(
        [np.asarray(classify(state, jnp.asarray(x[i : i + 1000]))) for i in range(0, len(x), 1000)]
    )
    return probabilities, accuracy, path


def real_data_floor(dataset, probabilities, n: int, seed: int) -> dict:
    """The counter on `n` real Stacked MNIST images: triples of training digits (the data the generators saw) and
    triples of held-out digits. Their modes, KL and confident fraction are the best any generator can score with
    this counter; 'uniform_multinomial_kl' is the KL of n perfect draws read by a perfect counter."""
    rng = np.random.default_rng(seed)
    digits = dataset.info['held_out_digits']
    held_out = mnist_lib.stack_digits(digits, rng.integers(0, len(digits), (n, 3)))
    floor = {}
    for name, images in (('train_triples', dataset.global_batch(seed, 0, n)), ('held_out_triples', held_out)):
        coverage = mode_coverage.stacked_mnist_coverage(images, probabilities)
        floor[name] = {k: coverage[k] for k in ('modes', 'reverse_kl', 'confident_fraction')}
    floor['uniform_multinomial_kl'] = mode_coverage.uniform_multinomial_kl(n)
    floor['num_samples'] = n
    return floor


def inception_features(weights_path: str, images: np.ndarray, chunk: int = 100) -> dict:
    features = inception.make_feature_fn(inception.load_variables(weights_path))
    parts = [features(inception.to_uint8(images[i : i + chunk])) for i in range(0, len(images), chunk)]
    return {k: np.concatenate([np.asarray(p[k]) for p in parts]) for k in ('pool3', 'logits_unbiased')}


# Data keys that change *where* or *how fast* the data is read, never which images: not part of the cache key.
_READ_ONLY_KEYS = ('data_dir', 'download', 'num_threads', 'prefetch_batches')


def reference_key(config, n: int, sha: str) -> str:
    """A digest of everything that changes the reference images or their features: the whole data config (name,
    source, crop, ...) but where it is read from, the split and seed they are drawn with, n and the weights."""
    data_config = {k: v for k, v in config.data.to_dict().items() if k not in _READ_ONLY_KEYS}
    key = {'data': data_config, 'split': 'train', 'seed': config.seed, 'num_images': n, 'weights_sha256': sha}
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:16]


def reference_features(path, dataset, config, weights_path, sha, n, cache_dir):
    """(mu, sigma, features or None) of the real data: from `path`, or computed from n training images and cached."""
    if path:
        with np.load(path) as f:
            mu, sigma = fid.load_statistics(path)
            return mu, sigma, f['features'] if 'features' in f.files else None
    cache = os.path.join(
        os.path.expanduser(cache_dir), f'fid_stats_{dataset.name}_{n}_{reference_key(config, n, sha)}.npz'
    )
    if not os.path.exists(cache):
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        real = dataset.global_batch(config.seed, 0, n)
        features = inception_features(weights_path, real)['pool3']
        fid.save_statistics(cache, *fid.feature_statistics(features), features=features)
    with np.load(cache) as f:
        return f['mu'], f['sigma'], f['features']


def ppgn_class_term(classifier: str | None, data_name: str):
    """(class_log_prob(clf_state, x, y) -> log p(y | x), clf_state, num_classes) from a classifier workdir of the run's
    own data."""
    if not classifier:
        raise ValueError(
            '--ppgn_eps2 > 0 needs --classifier=WORKDIR of a classifier of the same data (experiments/classifier_*.py).'
        )
    clf, clf_state = load_classifier(classifier, data_name)
    num_classes = checkpointing.load_config(checkpointing.resolve_checkpoint(classifier)[0]).classifier.num_classes

    def class_log_prob(state, x, labels):
        log_p = jax.nn.log_softmax(clf.classify(state, x))
        return jnp.take_along_axis(log_p, labels[:, None], axis=1)[:, 0]

    return class_log_prob, clf_state, num_classes


def evaluate_classifier(workdir, step, config, dataset, method, state) -> dict:
    """A classifier run has no samples: its eval is the held-out accuracy (the number the counters rely on)."""
    if dataset.test_data is None or 'test_labels' not in dataset.info:
        raise ValueError(f'{workdir} holds a classifier of {config.data.name!r}, which has no labelled held-out data.')
    accuracy = classifier_lib.accuracy(method, state, dataset.test_data, dataset.info['test_labels'])
    return {'test_accuracy': accuracy, 'held_out_examples': len(dataset.test_data)}


def evaluate(
    checkpoint: str,
    sampler: str = 'prior',
    num_samples=None,
    seed: int = 0,
    ppgn=None,
    metrics=None,
    inception_weights=None,
    classifier=None,
    fid_reference=None,
    cache_dir: str = '~/.cache/aegan',
    ms_ssim_pairs: int = 1000,
    ms_ssim_small_images: str = 'shrink_filter',
    critic_steps: int = 1000,
) -> dict:
    """Runs the evaluation and writes its JSON and PNGs; returns the JSON's content."""
    workdir, step, config, dataset, method, state = restore(checkpoint)
    if method.sample is None:
        if sampler != 'prior' or metrics:
            raise ValueError(
                f'{workdir} holds a {config.method!r} run, which has no samples: its eval is the held-out accuracy '
                'alone (drop --sampler and --metrics).'
            )
        accuracy = evaluate_classifier(workdir, step, config, dataset, method, state)
        return _write_result(workdir, f'eval_{step}', config, step, sampler, accuracy)
    metrics = list(metrics or default_metrics(dataset, method))
    unknown = sorted(set(metrics) - set(METRICS))
    if unknown:
        raise ValueError(f'Unknown metrics {unknown}; valid choices: {list(METRICS)}.')
    is_2d = dataset.shape == (2,)
    if num_samples is None:
        num_samples = NUM_SAMPLES_2D if is_2d else NUM_SAMPLES_IMAGES
        num_samples = NUM_SAMPLES_STACKED_MNIST if dataset.name == 'stacked_mnist' else num_samples
    ppgn = ppgn or samplers.PPGNSettings()
    inception_weights = inception_weights or os.environ.get(WEIGHTS_ENV)
    results, settings, skipped, plots = {}, {'seed': seed}, {}, []

    # ---- Samples. -----------------------------------------------------------------------------------------------
    key = jax.random.key(seed)
    if sampler == 'prior':
        samples = sample_on_all_devices(method, state, key, num_samples)
    else:
        train_data = dataset.global_batch(config.seed, 0, NUM_DAE_TRAIN) if ppgn.prior_model == 'dae' else None
        class_log_prob, clf_state, num_classes = None, None, 0
        if ppgn.eps2 > 0:
            class_log_prob, clf_state, num_classes = ppgn_class_term(classifier, config.data.name)
        sample = samplers.make_sampler(
            sampler, method, state, ppgn, train_data, class_log_prob, clf_state, num_classes, seed, PPGN_CHUNK
        )
        samples = sample(key, num_samples)
        settings['ppgn'] = {**ppgn._asdict(), 'chunk': PPGN_CHUNK, 'dae_key': f'fold_in(key(seed={seed}), 1)'}
        if class_log_prob is not None:
            settings['ppgn']['classifier'] = classifier

    # ---- Metrics. -----------------------------------------------------------------------------------------------
    name = f'eval_{step}' + ('' if sampler == 'prior' else f'_{sampler}')
    if 'mode_coverage' in metrics:
        if 'centers' in dataset.info:
            results.update(mode_coverage.mixture_coverage(samples, dataset.info['centers'], dataset.info['std']))
            settings['mode_coverage'] = {'threshold_std': 3.0}
        elif dataset.name == 'stacked_mnist':
            probabilities, accuracy, path = mnist_counter(classifier, os.path.expanduser(cache_dir))
            coverage = mode_coverage.stacked_mnist_coverage(samples, probabilities)
            results.update({k: coverage[k] for k in ('modes', 'reverse_kl', 'confident_fraction')})
            settings['mode_coverage'] = {
                'classifier': path,
                'classifier_test_accuracy': accuracy,
                'confidence': mode_coverage.CONFIDENCE,
                'real_data': real_data_floor(dataset, probabilities, num_samples, seed),
            }
            png = os.path.join(workdir, name + '_modes.png')
            plots.append(writers.save_mode_histogram(png, coverage['histogram'], f'{coverage["modes"]} of 1000 modes'))
        else:
            skipped['mode_coverage'] = f'no mode structure known for {dataset.name!r}'
    if any(m in metrics for m in INCEPTION_METRICS):
        if not inception_weights or not os.path.exists(os.path.expanduser(inception_weights)):
            message = inception.missing_weights_message(inception_weights)
            skipped.update({m: message for m in INCEPTION_METRICS if m in metrics})
        else:
            weights = os.path.expanduser(inception_weights)
            sha = inception.sha256_of(weights)
            settings['inception'] = {
                'weights': weights,
                'sha256': sha,
                'resize': 'tf1_legacy_bilinear_299',
                'quantisation': 'round((x + 1) * 127.5) to uint8',
            }
            features = inception_features(weights, samples)
            if 'inception_score' in metrics:
                results['inception_score'], results['inception_score_std'] = inception_score.inception_score(
                    features['logits_unbiased'], splits=10
                )
                settings['inception_score'] = {'splits': 10, 'shuffle': False, 'logits': 'unbiased, 1008 classes'}
            if 'fid' in metrics or 'kid' in metrics:
                mu, sigma, real = reference_features(
                    fid_reference, dataset, config, weights, sha, num_samples, cache_dir
                )
                settings['fid_reference'] = fid_reference or f'{num_samples} training images (cached)'
                if 'fid' in metrics:
                    results['fid'] = fid.frechet_distance(*fid.feature_statistics(features['pool3']), mu, sigma)
                if 'kid' in metrics:
                    if real is None:
                        skipped['kid'] = f'{fid_reference} has no `features` (KID needs them, not just mu and sigma)'
                    else:
                        results['kid'], results['kid_std'] = fid.kernel_inception_distance(features['pool3'], real)
                        settings['kid'] = {'num_subsets': 100, 'subset_size': 1000, 'seed': 2020}
    if 'dataset_inception_score' in metrics:
        clf_data = (
            checkpointing.load_config(checkpointing.resolve_checkpoint(classifier)[0]).data.name if classifier else None
        )
        if clf_data != config.data.name:
            skipped['dataset_inception_score'] = (
                f'needs --classifier=WORKDIR of a classifier of {config.data.name!r} (experiments/classifier_*.py)'
                + (f'; {classifier} classifies {clf_data!r}' if classifier else '')
            )
        else:
            clf, clf_state = load_classifier(classifier, config.data.name)
            classify = jax.jit(clf.classify)
            logits = np.concatenate(
                [
                    np.asarray(classify(clf_state, jnp.asarray(samples[i : i + 1000])))
                    for i in range(0, len(samples), 1000)
                ]
            )
            results['dataset_inception_score'], results['dataset_inception_score_std'] = (
                inception_score.inception_score(logits, splits=10)
            )
            settings['dataset_inception_score'] = {'classifier': classifier, 'splits': 10}
    if 'ms_ssim' in metrics:
        if is_2d:
            skipped['ms_ssim'] = 'images only'
        else:
            div = ms_ssim.diversity(samples, ms_ssim_pairs, seed, small_images=ms_ssim_small_images)
            results.update({'ms_ssim': div['ms_ssim'], 'ms_ssim_diversity': div['diversity']})
            settings['ms_ssim'] = {'pairs': ms_ssim_pairs, 'small_images': ms_ssim_small_images, 'max_val': 255}
    if 'reconstruction' in metrics:
        if method.reconstruct is None or dataset.test_data is None:
            skipped['reconstruction'] = (
                f'{config.method} has no encoder' if method.reconstruct is None else 'no test data'
            )
        else:
            test = dataset.test_data[:NUM_RECONSTRUCTIONS]
            rec = np.concatenate(
                [
                    np.asarray(jax.jit(method.reconstruct)(state, jnp.asarray(test[i : i + 500])))
                    for i in range(0, len(test), 500)
                ]
            )
            results['reconstruction_l1'] = float(np.abs(rec - test).mean())
            results['reconstruction_l2'] = float(np.square(rec - test).mean())
            if not is_2d:
                to_255 = lambda x: (np.asarray(x, np.float32) + 1) * 127.5
                values = ms_ssim.ms_ssim(to_255(test), to_255(rec), 255.0, small_images=ms_ssim_small_images)
                results['reconstruction_ms_ssim'] = float(np.mean(values))
            settings['reconstruction'] = {'held_out_examples': len(test)}
    if 'critic' in metrics:
        real_train = dataset.global_batch(config.seed, 1, num_samples // 2)
        if dataset.test_data is None:
            skipped['critic'] = 'no held-out data'
        else:
            results.update(
                critic.independent_critic(config.model, real_train, dataset.test_data, samples, critic_steps, seed=seed)
            )
            settings['critic'] = {'steps': critic_steps, 'gp_weight': 10.0, 'optimizer': 'Adam 1e-4 (0.5, 0.9)'}

    # ---- Outputs. -----------------------------------------------------------------------------------------------
    if is_2d:
        plots.insert(
            0, writers.save_scatter(os.path.join(workdir, name + '.png'), samples, dataset.info.get('centers'))
        )
    else:
        plots.insert(0, writers.save_image_grid(os.path.join(workdir, name + '.png'), samples[:64]))
    return _write_result(
        workdir,
        name,
        config,
        step,
        sampler,
        results,
        skipped=skipped,
        settings=settings,
        plots=plots,
        num_samples=num_samples,
    )


def _write_result(
    workdir, name, config, step, sampler, results, *, skipped=None, settings=None, plots=(), num_samples=0
) -> dict:
    """Writes <workdir>/<name>.json (atomically: written beside, then renamed) and returns its content."""
    result = {
        'metrics': {k: float(v) for k, v in results.items()},
        'skipped': skipped or {},
        'checkpoint': f'{workdir}/checkpoints/{step}',
        'step': step,
        'method': config.method,
        'dataset': config.data.name,
        'sampler': sampler,
        'num_samples': num_samples,
        'settings': settings or {},
        'devices': jax.local_device_count(),
        'plots': list(plots),
    }
    path = epath.Path(workdir) / (name + '.json')
    tmp = path.parent / (path.name + '.tmp')
    tmp.write_text(json.dumps(result, indent=2))
    tmp.replace(path)
    return {**result, 'json': str(path)}


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
    writers.quiet_library_logs()
    compilation_cache.enable(FLAGS.compilation_cache)
    ppgn = samplers.PPGNSettings(
        num_steps=FLAGS.ppgn_steps,
        eps1=FLAGS.ppgn_eps1,
        eps2=FLAGS.ppgn_eps2,
        eps3=FLAGS.ppgn_eps3,
        prior_model=FLAGS.ppgn_prior,
    )
    result = evaluate(
        FLAGS.checkpoint,
        FLAGS.sampler,
        FLAGS.num_samples,
        FLAGS.seed,
        ppgn,
        FLAGS.metrics,
        FLAGS.inception_weights,
        FLAGS.classifier,
        FLAGS.fid_reference,
        FLAGS.cache_dir,
        FLAGS.ms_ssim_pairs,
        FLAGS.ms_ssim_small_images,
        FLAGS.critic_steps,
    )
    lines = [
        f'{result["method"]} on {result["dataset"]}, step {result["step"]}, sampler={result["sampler"]}, '
        f'{result["num_samples"]} samples:'
    ]
    lines += [f'  {k:<28} {v:.4f}' for k, v in result['metrics'].items()]
    coverage = result['settings'].get('mode_coverage', {})
    if 'real_data' in coverage:  # what the same counter gives real images: the floor beside the numbers above
        lines += [f'  mode counter: {coverage["classifier_test_accuracy"]:.1%} held-out accuracy; on real data:']
        for name in ('train_triples', 'held_out_triples'):
            floor = coverage['real_data'][name]
            lines += [
                f'    {name:<26} modes {floor["modes"]}, reverse_kl {floor["reverse_kl"]:.4f}, '
                f'confident_fraction {floor["confident_fraction"]:.4f}'
            ]
    lines += [f'  skipped {k}: {v}' for k, v in result['skipped'].items()]
    lines += [f'  wrote {result["json"]} and {", ".join(result["plots"])}']
    print('\n'.join(lines))


if __name__ == '__main__':
    flags.mark_flags_as_required(['checkpoint'])
    app.run(main)
