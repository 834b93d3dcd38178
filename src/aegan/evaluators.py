"""The eval's metrics as a registry: one function per metric, `metric(context) -> Result`, raising `Skip(reason)`
where it does not apply to the run. `aegan.eval` draws the samples, builds the `Context`, runs the requested entries
of `METRICS` in order and writes the report. Adding a metric is one function here and one line in `METRICS`
(README, "How to add a metric"); algorithms and sources are in docs/metrics.md.

Resources several metrics share (the Inception features of the samples, the real data's reference statistics) are
computed once per eval through the context, and their settings are recorded once (`Context.shared_settings`).
"""

import contextlib
import dataclasses
import hashlib
import json
import os
import time
import zipfile
from collections.abc import Callable
from typing import NamedTuple

import jax
import numpy as np
from absl import logging

from aegan import checkpointing, data, ema, filesystem, locking, reference_data, runs, samplers, trainer, writers
from aegan.batching import apply_in_chunks
from aegan.data import mnist as mnist_lib
from aegan.images import to_pixels, to_uint8
from aegan.methods import classifier as classifier_lib
from aegan.metrics import critic as critic_lib
from aegan.metrics import fid as fid_lib
from aegan.metrics import inception as inception_lib
from aegan.metrics import inception_score as inception_score_lib
from aegan.metrics import mode_coverage as mode_coverage_lib
from aegan.metrics import ms_ssim as ms_ssim_lib
from aegan.metrics import prdc as prdc_lib

WEIGHTS_ENV = 'AEGAN_INCEPTION_WEIGHTS'
CACHE_ENV = 'AEGAN_CACHE_DIR'  # where reference statistics and the mode counter go (default ~/.cache/aegan)
CACHE_MOVE = f'set {CACHE_ENV} (or --cache_dir) to a writable directory'  # where else the caches can go
NUM_RECONSTRUCTIONS = 2500  # held-out examples the reconstruction metric reads
COUNTER_WAIT_SECONDS = 1800  # how long an eval waits for another process training the mode counter
CLASSIFIER_CHUNK = 1000  # examples per call of a classifier
INCEPTION_CHUNK = 100  # images per call of the Inception network
PRDC_FEATURES = ('auto', 'data', 'inception', 'classifier', 'mnist_counter')


@dataclasses.dataclass(frozen=True, kw_only=True)
class Options:
    """What the eval computes, as `aegan.eval`'s flags of the same names say; checked when built."""

    sampler: str = 'prior'
    weights: str | None = None  # 'ema' or 'raw'; None: 'ema' where the run has an average (aegan/ema.py), else 'raw'
    num_samples: int | None = None  # None: the data's default (eval.default_num_samples)
    seed: int = 0
    ppgn: samplers.PPGNSettings = samplers.PPGNSettings()
    metrics: tuple[str, ...] | None = None  # None: eval.default_metrics
    inception_weights: str | None = None  # None: $AEGAN_INCEPTION_WEIGHTS
    classifier: str | None = None
    fid_reference: str | None = None
    reference_images: int | None = None  # None: the protocol's (reference_data.protocol_size)
    save_features: bool = False  # write the samples' Inception features beside the eval JSON (<name>_inception.npz)
    cache_dir: str = dataclasses.field(default_factory=lambda: default_cache_dir())
    ms_ssim_pairs: int = 1000
    ms_ssim_small_images: str = 'shrink_filter'
    critic_steps: int = 1000
    prdc_features: str = 'auto'  # the feature space of precision/recall/density/coverage (Context.prdc_features)
    prdc_samples: int = 10_000  # samples and real images those metrics compare (Naeem et al. used 10,000)

    def __post_init__(self):
        if self.sampler not in samplers.SAMPLERS:
            raise ValueError(f'Unknown sampler {self.sampler!r}; valid choices: {list(samplers.SAMPLERS)}.')
        if self.metrics is not None:
            unknown = sorted(set(self.metrics) - set(METRICS))
            if unknown:
                raise ValueError(f'Unknown metrics {unknown}; valid choices: {list(METRICS)}.')
            object.__setattr__(self, 'metrics', tuple(self.metrics))
        if self.weights not in (None, *ema.WEIGHTS):
            raise ValueError(f'Unknown weights={self.weights!r}; valid choices: {list(ema.WEIGHTS)}.')
        if self.prdc_features not in PRDC_FEATURES:
            raise ValueError(f'Unknown prdc_features={self.prdc_features!r}; valid choices: {list(PRDC_FEATURES)}.')
        checks = (
            ('num_samples', 2),
            ('ms_ssim_pairs', 1),
            ('critic_steps', 1),
            ('seed', 0),
            ('prdc_samples', 6),
            ('reference_images', 2),
        )
        for name, low in checks:
            value = getattr(self, name)
            optional = name in ('num_samples', 'reference_images')
            if not (value is None and optional) and not (isinstance(value, int) and value >= low):
                raise ValueError(f'{name}={value!r} must be an integer >= {low} (e.g. --{name}={max(low, 10)}).')
        if self.ms_ssim_small_images not in ms_ssim_lib.SMALL_IMAGE_POLICIES:
            raise ValueError(
                f'Unknown ms_ssim_small_images={self.ms_ssim_small_images!r}; valid choices: '
                f'{list(ms_ssim_lib.SMALL_IMAGE_POLICIES)}.'
            )
        self.ppgn.validate()


def default_cache_dir() -> str:
    return os.environ.get(CACHE_ENV) or '~/.cache/aegan'


class Skip(Exception):
    """Raised by a metric that does not apply to this run; its message (the reason) goes into the report."""


@dataclasses.dataclass(frozen=True)
class Result:
    values: dict  # metric name -> number, e.g. {'fid': 12.3}
    settings: dict = dataclasses.field(default_factory=dict)  # what a reader needs to reproduce the values
    pictures: tuple[str, ...] = ()  # paths of the PNGs written


@dataclasses.dataclass
class Context:
    """Everything a metric may read: the restored run, the samples ([N, ...] in [-1, 1]), the options, and the
    shared resources, computed on first use (each one's seconds in `seconds`)."""

    run: runs.Run
    samples: np.ndarray
    options: Options
    name: str  # file name stem of this eval's outputs, e.g. 'eval_1000'
    shared_settings: dict = dataclasses.field(default_factory=dict)
    seconds: dict = dataclasses.field(default_factory=dict)
    _memo: dict = dataclasses.field(default_factory=dict, repr=False)

    def picture_path(self, suffix: str) -> str:
        return os.path.join(self.run.workdir, self.name + suffix)

    @contextlib.contextmanager
    def timed(self, key: str):
        """Records the block's seconds as `seconds[key]`, less those of the shared resources it asked for first (they
        have entries of their own), so the parts add up to the eval's time."""
        start, before = time.perf_counter(), sum(self.seconds.values())
        try:
            yield
        finally:
            self.seconds[key] = time.perf_counter() - start - (sum(self.seconds.values()) - before)

    def _once(self, key: str, compute: Callable):
        if key not in self._memo:
            with self.timed(key):
                self._memo[key] = compute()
        return self._memo[key]

    def inception(self) -> dict:
        """{'weights', 'sha256', 'pool3', 'logits_unbiased'} of the samples; Skip (with how to get the weights) when
        no weights file is given."""

        def compute():
            weights = self.options.inception_weights or os.environ.get(WEIGHTS_ENV)
            if not weights or not os.path.exists(os.path.expanduser(weights)):
                raise Skip(inception_lib.missing_weights_message(weights))
            weights = os.path.expanduser(weights)
            sha = inception_lib.sha256_of(weights)
            self.shared_settings['inception'] = {
                'weights': weights,
                'sha256': sha,
                'resize': 'tf1_legacy_bilinear_299',
                'quantisation': 'round((x + 1) * 127.5) to uint8',
                'num_samples': len(self.samples),
            }
            features = inception_features(weights, [self.samples])
            if self.options.save_features:
                path = self.picture_path('_inception.npz')
                _write_once(path, lambda f: np.savez(f, **features, weights_sha256=sha), mode='wb')
                self.shared_settings['inception']['features_file'] = path
            return {'weights': weights, 'sha256': sha, **features}

        return self._once('inception', compute)

    def reference_size(self) -> int:
        """Real images of the FID/KID reference: --reference_images, else the protocol's (the whole training split, at
        most 50,000; reference_data.protocol_size)."""
        return self.options.reference_images or reference_data.protocol_size(self.run.dataset)

    def reference(self) -> tuple:
        """(mu, sigma, pool3 features or None) of the real reference, and a description of it for the JSON: the same
        rows of the same stream for every run of the dataset, whatever its seed (reference_data.py)."""
        features = self.inception()
        options, n = self.options, self.reference_size()
        stats = self._once(
            'reference',
            lambda: reference_features(
                options.fid_reference, self.run, features['weights'], features['sha256'], n, options.cache_dir
            ),
        )
        if options.fid_reference:
            return stats, {'file': options.fid_reference, 'num_images': None if stats[2] is None else len(stats[2])}
        return stats, {**reference_data.describe(self.run.dataset, 0, n), 'features': 'inception_pool3'}

    def prdc(self) -> tuple[dict, dict]:
        """(precision, recall, density, coverage) of the first `prdc_samples` samples against as many real images
        (rows [0, n) of the reference stream, the same for every seed), and their settings; computed once for both
        registry entries. Beside them ('real_data'): the same metrics for the next n rows of that stream in place of
        the samples, what a perfect generator would get with these features and this n (cached in cache_dir; not for
        Inception, whose real set is the FID reference's first n rows)."""

        def compute():
            run, n = self.run, min(len(self.samples), self.options.prdc_samples)
            kind = self._prdc_kind()
            settings = {'num_real': n, 'num_samples': n}
            settings.update(
                k_precision_recall=prdc_lib.PRECISION_RECALL_K, k_density_coverage=prdc_lib.DENSITY_COVERAGE_K
            )
            if kind == 'inception':
                (_, _, real), reference = self.reference()
                if real is None or len(real) < n:
                    source = reference.get('file') or f'{reference["num_images"]} images'
                    raise Skip(
                        f'the FID reference ({source}) has no `features` rows for {n} real images (precision/recall '
                        'need them)'
                    )
                if 'file' in reference:
                    real_rows = {'file': reference['file'], 'rows': [0, n], 'num_images': n}
                else:
                    real_rows = {**reference_data.describe(run.dataset, 0, n), 'features': 'inception_pool3'}
                return prdc_lib.prdc(real[:n], self.inception()['pool3'][:n]), {
                    'features': 'inception_pool3',
                    'real': real_rows,
                    **settings,
                }
            featurize, name, weights_sha256 = self._featurizer(kind)
            real = featurize(reference_data.images(run.dataset, 0, n))
            settings['real'] = reference_data.describe(run.dataset, 0, n)
            cache = os.path.join(
                os.path.expanduser(self.options.cache_dir),
                f'prdc_real_{reference_key(run.config, n, f"{name} {weights_sha256}")}',
            )
            ks = (prdc_lib.PRECISION_RECALL_K, prdc_lib.DENSITY_COVERAGE_K)
            radii = cached_radii(f'{cache}_radii.npz', lambda: prdc_lib.knn_radii(real, ks))
            values = prdc_lib.prdc(real, featurize(self.samples[:n]), real_radii=radii)
            second_draw = lambda: prdc_lib.prdc(
                real, featurize(reference_data.images(run.dataset, n, 2 * n)), real_radii=radii
            )
            draw = f'reference rows [{n}, {2 * n})'
            settings['real_data'] = {**cached_json(f'{cache}.json', second_draw), 'draw': draw}
            return values, {'features': name, **settings}

        return self._once('prdc', compute)

    def _prdc_kind(self) -> str:
        """--prdc_features, with 'auto' resolved: the points themselves for 2-D data ('data'), Stacked MNIST's mode
        counter (no download), else a --classifier of the run's data, else Inception pool3."""
        run, options = self.run, self.options
        if options.prdc_features != 'auto':
            return options.prdc_features
        if run.dataset.shape == (2,):
            return 'data'
        if run.dataset.name == 'stacked_mnist':
            return 'mnist_counter'
        classifies = runs.data_name(options.classifier) if options.classifier else None
        return 'classifier' if classifies == run.config.data.name else 'inception'

    def _featurizer(self, kind: str) -> tuple[Callable[[np.ndarray], np.ndarray], str, str]:
        """(images -> [n, d] features, the features' name, the sha256 of the weights computing them ('' for the
        data themselves)) for 'data', 'mnist_counter' or 'classifier'."""
        run, options = self.run, self.options
        if kind == 'data':
            return (lambda x: np.asarray(x, np.float32).reshape(len(x), -1)), 'data', ''
        if kind == 'mnist_counter':
            if run.dataset.name != 'stacked_mnist':
                raise Skip(f"prdc_features='mnist_counter' is for Stacked MNIST, not {run.dataset.name!r}")
            counter = mnist_counter(options.classifier, os.path.expanduser(options.cache_dir))
            per_channel = lambda x: np.concatenate([counter.features(x[..., c : c + 1]) for c in range(3)], -1)
            return per_channel, f'mnist_counter_penultimate x 3 ({counter.path})', counter.weights_sha256
        if not options.classifier:
            raise Skip(
                f'prdc_features=classifier needs --classifier=WORKDIR of a classifier of {run.config.data.name!r}'
            )
        clf = runs.load_classifier(options.classifier, run.config.data.name)
        features = lambda x: apply_in_chunks(clf.method.features, clf.state, x, CLASSIFIER_CHUNK)
        return features, f'classifier_penultimate ({options.classifier})', weights_sha256(clf.state)


# ---- Shared resources. -----------------------------------------------------------------------------------------


def load_inception(path: str) -> dict:
    """`inception.load_variables`, with a file that is not a whole .npz (a copy cut short) named in one line."""
    try:
        return inception_lib.load_variables(path)
    except (zipfile.BadZipFile, EOFError) as error:
        raise ValueError(
            f'{path} is damaged, not a whole .npz ({type(error).__name__}: {error}); it may be a truncated copy. '
            'Copy it again, or convert it again: python -m aegan.metrics.convert_inception '
            '--input=pt_inception-2015-12-05-6726825d.pth --output=inception_2015_12_05.npz.'
        ) from None


def inception_features(weights_path: str, parts) -> dict:
    """{'pool3', 'logits_unbiased'} of images in [-1, 1] given as an iterable of [n, H, W, 3] arrays, read one at a
    time (so that a 50,000-image reference is never in memory as images), quantised to uint8 as a PNG would be."""
    variables = load_inception(weights_path)
    features = [
        apply_in_chunks(inception_lib.features_of, variables, to_uint8(part), INCEPTION_CHUNK, jit=False)
        for part in parts
    ]
    return {k: np.concatenate([f[k] for f in features]) for k in ('pool3', 'logits_unbiased')}


# Data keys that change *where* or *how fast* the data is read, never which images: not part of the cache key.
_READ_ONLY_KEYS = ('data_dir', 'download', 'num_threads', 'prefetch_batches')


def reference_key(config, n: int, sha: str, **draw) -> str:
    """A digest of everything that changes the reference images or their features: the whole data config (name,
    source, crop, ...) but where it is read from, the reference stream (reference_data.py), n and the weights; not
    the run's seed. `draw` adds what else picks the images (e.g. the real-data floor's eval seed)."""
    data_config = {k: v for k, v in config.data.to_dict().items() if k not in _READ_ONLY_KEYS}
    stream = {'seed': reference_data.REFERENCE_SEED, 'read_chunk': reference_data.READ_CHUNK}
    key = {'data': data_config, 'split': 'train', 'stream': stream, 'num_images': n, 'weights_sha256': sha, **draw}
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _write_once(path: str, write: Callable[[object], None], mode: str = 'w'):
    """Calls `write(file)` on a file of this process's own, then renames it to `path`: a killed eval leaves no half
    file, and evals writing the same entry at once each write a whole one."""
    partial = f'{path}.{os.getpid()}.tmp'
    with filesystem.writing(f'writing the eval cache {os.path.dirname(path)}', CACHE_MOVE):
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(partial, mode) as f:
                write(f)
            os.replace(partial, path)
        finally:
            if os.path.exists(partial):  # a full disk: no half file left behind
                os.remove(partial)


def cached_json(path: str, compute: Callable[[], dict]) -> dict:
    """The JSON at `path`, or `compute()` written there first (atomically, `_write_once`)."""
    if not os.path.exists(path):
        value = compute()
        _write_once(path, lambda f: json.dump(value, f))
    with open(path) as f:
        return json.load(f)


def cached_radii(path: str, compute: Callable[[], dict]) -> dict:
    """{k: [N] radii} of real features (prdc.knn_radii) from the .npz at `path`, or `compute()` saved there first:
    every eval of a study compares its samples with the same real features, whose radii take about a quarter of PRDC's
    distance blocks (docs/metrics.md)."""
    if not os.path.exists(path):
        radii = compute()
        _write_once(path, lambda f: np.savez(f, **{f'k{k}': v for k, v in radii.items()}), mode='wb')
    with np.load(path) as f:
        return {int(name[1:]): f[name] for name in f.files}


def weights_sha256(state) -> str:
    """sha256 of a network's parameters and BatchNorm statistics: what its outputs depend on, so a retrained
    classifier in the same workdir does not reuse numbers cached with the old one."""
    digest = hashlib.sha256()
    for leaf in jax.tree.leaves((state.params, state.batch_stats)):
        digest.update(np.ascontiguousarray(jax.device_get(leaf)).tobytes())
    return digest.hexdigest()


def reference_features(path, run: runs.Run, weights_path, sha, n, cache_dir):
    """(mu, sigma, features or None) of the real data: from `path`, or computed from rows [0, n) of the reference
    stream (read in chunks) and cached, once per dataset config, n and Inception weights."""
    if path:
        with np.load(path) as f:
            mu, sigma = fid_lib.load_statistics(path)
            return mu, sigma, f['features'] if 'features' in f.files else None
    name = f'fid_stats_{run.dataset.name}_{n}_{reference_key(run.config, n, sha)}.npz'
    cache = os.path.join(os.path.expanduser(cache_dir), name)
    if not os.path.exists(cache):
        logging.info('Inception features of %d reference images of %s, cached as %s.', n, run.dataset.name, cache)
        features = inception_features(weights_path, reference_data.chunks(run.dataset, 0, n))['pool3']
        mu, sigma = fid_lib.feature_statistics(features)
        # Evals of a study's seeds share this file now: each writes a whole one under its own name, then renames.
        _write_once(cache, lambda f: np.savez(f, mu=mu, sigma=sigma, features=features), mode='wb')
    with np.load(cache) as f:
        return f['mu'], f['sigma'], f['features']


class Counter(NamedTuple):
    """The Stacked MNIST mode counter, an MNIST classifier read one channel ([m, 28, 28, 1]) at a time."""

    probabilities: Callable[[np.ndarray], np.ndarray]  # -> [m, 10]
    features: Callable[[np.ndarray], np.ndarray]  # -> [m, d], its penultimate layer
    accuracy: float  # on MNIST's held-out digits
    path: str  # its workdir
    weights_sha256: str  # keys the numbers cached with it (weights_sha256)


def mnist_counter(path: str | None, cache_dir: str) -> Counter:
    """The counter of workdir `path`, or the package's MNIST classifier trained once into
    `cache_dir/mnist_counter_<config hash>` (a new recipe gets a new directory, never a refused resume of the old
    one)."""
    if path is None:
        config = classifier_lib.mnist_counter_config()
        digest = hashlib.sha256(config.to_json(sort_keys=True).encode()).hexdigest()[:8]
        path = os.path.join(cache_dir, f'mnist_counter_{digest}')
        waited = 0
        while True:  # several evals (a study's parallel runs, SLURM array tasks) may ask for it at once
            try:
                with filesystem.writing(f'training the mode counter into {path}', CACHE_MOVE):
                    trainer.train_and_evaluate(config, path, devices=jax.local_devices()[:1])  # resumes / returns
                break
            except locking.WorkdirInUseError:
                if waited >= COUNTER_WAIT_SECONDS:
                    raise
                logging.warning('Another process is training the mode counter into %s; waiting for it.', path)
                time.sleep(10)
                waited += 10
    counter = runs.load_classifier(path, 'mnist')
    mnist = data.get_dataset(checkpointing.load_config(path).data)
    accuracy = classifier_lib.accuracy(counter.method, counter.state, mnist.test_data, mnist.info['test_labels'])
    softmax = lambda state, x: jax.nn.softmax(counter.method.classify(state, x))
    probabilities = lambda x: apply_in_chunks(softmax, counter.state, x, CLASSIFIER_CHUNK)
    features = lambda x: apply_in_chunks(counter.method.features, counter.state, x, CLASSIFIER_CHUNK)
    return Counter(probabilities, features, accuracy, path, weights_sha256(counter.state))


def cached_real_data_floor(run: runs.Run, counter: Counter, n: int, seed: int, cache_dir: str) -> dict:
    """`real_data_floor`, computed once per data config, n, seed and counter weights and cached in `cache_dir`: it
    classifies 2n real triples, at n = 26,000 as long as the samples' own count (docs/metrics.md)."""
    key = reference_key(run.config, n, counter.weights_sha256, seed=seed)
    path = os.path.join(os.path.expanduser(cache_dir), f'mode_floor_{key}.json')
    return cached_json(path, lambda: real_data_floor(run.dataset, counter.probabilities, n, seed))


def real_data_floor(dataset, probabilities, n: int, seed: int) -> dict:
    """The counter on `n` real Stacked MNIST images: triples of training digits (the data the generators saw) and
    triples of held-out digits. Their modes, KL and confident fraction are the best any generator can score with
    this counter; 'uniform_multinomial_kl' is the KL of n perfect draws read by a perfect counter."""
    rng = np.random.default_rng(seed)
    digits = dataset.info['held_out_digits']
    held_out = mnist_lib.stack_digits(digits, rng.integers(0, len(digits), (n, 3)))
    floor = {}
    for name, images in (('train_triples', dataset.global_batch(seed, 0, n)), ('held_out_triples', held_out)):
        coverage = mode_coverage_lib.stacked_mnist_coverage(images, probabilities)
        floor[name] = {k: coverage[k] for k in ('modes', 'reverse_kl', 'confident_fraction')}
    floor['uniform_multinomial_kl'] = mode_coverage_lib.uniform_multinomial_kl(n)
    floor['num_samples'] = n
    return floor


# ---- The metrics. ----------------------------------------------------------------------------------------------


def mode_coverage(ctx: Context) -> Result:
    """2-D mixtures: modes, high-quality fraction, reverse KL. Stacked MNIST: modes of 1,000 and KL from a counter."""
    dataset = ctx.run.dataset
    if 'centers' in dataset.info:
        values = mode_coverage_lib.mixture_coverage(ctx.samples, dataset.info['centers'], dataset.info['std'])
        return Result(values, {'threshold_std': 3.0})
    if dataset.name != 'stacked_mnist':
        raise Skip(f'no mode structure known for {dataset.name!r}')
    counter = mnist_counter(ctx.options.classifier, os.path.expanduser(ctx.options.cache_dir))
    coverage = mode_coverage_lib.stacked_mnist_coverage(ctx.samples, counter.probabilities)
    n = len(ctx.samples)
    settings = {
        'classifier': counter.path,
        'classifier_test_accuracy': counter.accuracy,
        'confidence': mode_coverage_lib.CONFIDENCE,
        'real_data': cached_real_data_floor(ctx.run, counter, n, ctx.options.seed, ctx.options.cache_dir),
    }
    title = f'{coverage["modes"]} of 1000 modes'
    picture = writers.save_mode_histogram(ctx.picture_path('_modes.png'), coverage['histogram'], title)
    return Result({k: coverage[k] for k in ('modes', 'reverse_kl', 'confident_fraction')}, settings, (picture,))


def inception_score(ctx: Context) -> Result:
    """Salimans et al.'s protocol: 10 splits (of 5,000 at the default 50,000 samples), no shuffling."""
    logits = ctx.inception()['logits_unbiased']
    mean, std = inception_score_lib.inception_score(logits, splits=10)
    settings = {'splits': 10, 'split_size': len(logits) // 10, 'shuffle': False, 'logits': 'unbiased, 1008 classes'}
    return Result({'inception_score': mean, 'inception_score_std': std}, settings)


def fid(ctx: Context) -> Result:
    (mu, sigma, _), reference = ctx.reference()
    value = fid_lib.frechet_distance(*fid_lib.feature_statistics(ctx.inception()['pool3']), mu, sigma)
    return Result({'fid': value}, {'num_samples': len(ctx.samples), 'reference': reference})


def kid(ctx: Context) -> Result:
    (_, _, real), reference = ctx.reference()
    if real is None:
        raise Skip(f'{reference["file"]} has no `features` (KID needs them, not just mu and sigma)')
    mean, std = fid_lib.kernel_inception_distance(ctx.inception()['pool3'], real)
    return Result(
        {'kid': mean, 'kid_std': std},
        {
            'num_samples': len(ctx.samples),
            'reference': reference,
            'num_subsets': 100,
            'subset_size': 1000,
            'seed': 2020,
        },
    )


def dataset_inception_score(ctx: Context) -> Result:
    """The Inception score with a classifier of the run's own data (--classifier) instead of ImageNet's."""
    path, data_name = ctx.options.classifier, ctx.run.config.data.name
    classifies = runs.data_name(path) if path else None
    if classifies != data_name:
        reason = f'needs --classifier=WORKDIR of a classifier of {data_name!r} (experiments/classifier_*.py)'
        raise Skip(reason + (f'; {path} classifies {classifies!r}' if path else ''))
    clf = runs.load_classifier(path, data_name)
    logits = apply_in_chunks(clf.method.classify, clf.state, ctx.samples, CLASSIFIER_CHUNK)
    mean, std = inception_score_lib.inception_score(logits, splits=10)
    return Result(
        {'dataset_inception_score': mean, 'dataset_inception_score_std': std}, {'classifier': path, 'splits': 10}
    )


def ms_ssim(ctx: Context) -> Result:
    """Sample diversity: mean MS-SSIM over seeded random pairs of samples, and 1 - that."""
    if ctx.run.dataset.shape == (2,):
        raise Skip('images only')
    options = ctx.options
    div = ms_ssim_lib.diversity(
        ctx.samples, options.ms_ssim_pairs, options.seed, small_images=options.ms_ssim_small_images
    )
    settings = {'pairs': options.ms_ssim_pairs, 'small_images': options.ms_ssim_small_images, 'max_val': 255}
    return Result({'ms_ssim': div['ms_ssim'], 'ms_ssim_diversity': div['diversity']}, settings)


def reconstruction(ctx: Context) -> Result:
    """L1, L2 (and MS-SSIM for images) between held-out x and G(E(x))."""
    run = ctx.run
    if run.method.reconstruct is None:
        raise Skip(f'{run.config.method} has no encoder')
    if run.dataset.test_data is None:
        raise Skip('no test data')
    test = run.dataset.test_data[:NUM_RECONSTRUCTIONS]
    rec = apply_in_chunks(run.method.reconstruct, run.state, test, 500)
    values = {
        'reconstruction_l1': float(np.abs(rec - test).mean()),
        'reconstruction_l2': float(np.square(rec - test).mean()),
    }
    if run.dataset.shape != (2,):
        pairs = ms_ssim_lib.ms_ssim(
            to_pixels(test), to_pixels(rec), 255.0, small_images=ctx.options.ms_ssim_small_images
        )
        values['reconstruction_ms_ssim'] = float(np.mean(pairs))
        picture = writers.save_reconstruction_grid(ctx.picture_path('_reconstructions.png'), test[:32], rec[:32])
        return Result(values, {'held_out_examples': len(test)}, (picture,))
    return Result(values, {'held_out_examples': len(test)})


def critic(ctx: Context) -> Result:
    """The alpha-GAN paper's independent Wasserstein critic, scored on held-out data."""
    run = ctx.run
    if run.dataset.test_data is None:
        raise Skip('no held-out data')
    real_train = reference_data.images(run.dataset, 0, len(ctx.samples) // 2)
    steps, seed = ctx.options.critic_steps, ctx.options.seed
    values = critic_lib.independent_critic(
        run.config.model, real_train, run.dataset.test_data, ctx.samples, steps, seed=seed
    )
    settings = {'steps': steps, 'gp_weight': 10.0, 'optimizer': 'Adam 1e-4 (0.5, 0.9)'}
    return Result(values, {**settings, 'real_train': reference_data.describe(run.dataset, 0, len(real_train))})


def precision_recall(ctx: Context) -> Result:
    """Improved precision (sample quality) and recall (coverage of the data), k = 3 (Kynkäänniemi et al. 2019)."""
    values, settings = ctx.prdc()
    return Result({'precision': values['precision'], 'recall': values['recall']}, settings)


def density_coverage(ctx: Context) -> Result:
    """Density (sample quality, robust to real outliers) and coverage (share of real points with a sample nearby),
    k = 5 (Naeem et al. 2020)."""
    values, settings = ctx.prdc()
    return Result({'density': values['density'], 'coverage': values['coverage']}, settings)


METRICS: dict[str, Callable[[Context], Result]] = {
    'mode_coverage': mode_coverage,
    'inception_score': inception_score,
    'fid': fid,
    'kid': kid,
    'dataset_inception_score': dataset_inception_score,
    'ms_ssim': ms_ssim,
    'reconstruction': reconstruction,
    'critic': critic,
    'precision_recall': precision_recall,
    'density_coverage': density_coverage,
}


def run_metrics(ctx: Context, names) -> tuple[dict, dict, dict, list]:
    """Runs the named metrics in registry order: (values, settings by metric, skip reasons, pictures)."""
    values, settings, skipped, pictures = {}, {}, {}, []
    for name in (n for n in METRICS if n in names):
        try:
            with ctx.timed(name):
                result = METRICS[name](ctx)
        except Skip as skip:
            skipped[name] = str(skip)
            continue
        values.update(result.values)
        settings[name] = result.settings
        pictures.extend(result.pictures)
    return values, {**ctx.shared_settings, **settings}, skipped, pictures
