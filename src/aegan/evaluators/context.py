"""What every metric reads: the eval's `Options` (its flags), and the `Context` of one eval (the restored run, its
samples and the resources several metrics share, each computed once: the samples' Inception features, the FID
reference, precision/recall's real features). A metric that does not apply raises `Skip(reason)`."""

import contextlib
import dataclasses
import os
import time
from collections.abc import Callable

import numpy as np

from aegan import ema, reference_data, runs, samplers
from aegan.batching import apply_in_chunks
from aegan.evaluators import caches, inception_features, mode_counter
from aegan.metrics import inception as inception_lib
from aegan.metrics import ms_ssim as ms_ssim_lib
from aegan.metrics import prdc as prdc_lib

PRDC_FEATURES = ('auto', 'data', 'inception', 'classifier', 'mnist_counter')


@dataclasses.dataclass(frozen=True, kw_only=True)
class Options:
    """What the eval computes, as `aegan.eval`'s flags of the same names say; checked when built."""

    sampler: str = 'prior'
    weights: str | None = None  # 'ema' or 'raw'; None: 'ema' where the run has an average (aegan/ema.py), else 'raw'
    num_samples: int | None = None  # None: the data's default (eval.default_num_samples)
    seed: int = 0
    batchnorm_passes: int | None = None  # None: the run's config.eval.batchnorm_passes (0 where it has none)
    ppgn: samplers.PPGNSettings = samplers.PPGNSettings()
    metrics: tuple[str, ...] | None = None  # None: eval.default_metrics
    inception_weights: str | None = None  # None: $AEGAN_INCEPTION_WEIGHTS
    classifier: str | None = None
    fid_reference: str | None = None
    reference_images: int | None = None  # None: the protocol's (reference_data.protocol_size)
    save_features: bool = False  # write the samples' Inception features beside the eval JSON (<name>_inception.npz)
    cache_dir: str = dataclasses.field(default_factory=lambda: caches.default_cache_dir())
    ms_ssim_pairs: int = 1000
    ms_ssim_small_images: str = 'shrink_filter'
    critic_steps: int = 1000
    prdc_features: str = 'auto'  # the feature space of precision/recall/density/coverage (Context.prdc_features)
    prdc_samples: int = 10_000  # samples and real images those metrics compare (Naeem et al. used 10,000)

    def __post_init__(self):
        if self.sampler not in samplers.SAMPLERS:
            raise ValueError(f'Unknown sampler {self.sampler!r}; valid choices: {list(samplers.SAMPLERS)}.')
        if self.metrics is not None:  # the names are checked against the registry (registry.check_metrics)
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
            ('batchnorm_passes', 0),
        )
        for name, low in checks:
            value = getattr(self, name)
            optional = name in ('num_samples', 'reference_images', 'batchnorm_passes')
            if not (value is None and optional) and not (isinstance(value, int) and value >= low):
                raise ValueError(f'{name}={value!r} must be an integer >= {low} (e.g. --{name}={max(low, 10)}).')
        if self.ms_ssim_small_images not in ms_ssim_lib.SMALL_IMAGE_POLICIES:
            raise ValueError(
                f'Unknown ms_ssim_small_images={self.ms_ssim_small_images!r}; valid choices: '
                f'{list(ms_ssim_lib.SMALL_IMAGE_POLICIES)}.'
            )
        self.ppgn.validate()


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
            weights = self.options.inception_weights or os.environ.get(inception_features.WEIGHTS_ENV)
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
            features = inception_features.inception_features(weights, [self.samples])
            if self.options.save_features:
                path = self.picture_path('_inception.npz')
                caches.write_once(path, lambda f: np.savez(f, **features, weights_sha256=sha), mode='wb')
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
            lambda: inception_features.reference_features(
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
                f'prdc_real_{caches.reference_key(run.config, n, f"{name} {weights_sha256}")}',
            )
            ks = (prdc_lib.PRECISION_RECALL_K, prdc_lib.DENSITY_COVERAGE_K)
            radii = caches.cached_radii(f'{cache}_radii.npz', lambda: prdc_lib.knn_radii(real, ks))
            values = prdc_lib.prdc(real, featurize(self.samples[:n]), real_radii=radii)
            second_draw = lambda: prdc_lib.prdc(
                real, featurize(reference_data.images(run.dataset, n, 2 * n)), real_radii=radii
            )
            draw = f'reference rows [{n}, {2 * n})'
            settings['real_data'] = {**caches.cached_json(f'{cache}.json', second_draw), 'draw': draw}
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
            counter = mode_counter.mnist_counter(options.classifier, os.path.expanduser(options.cache_dir))
            per_channel = lambda x: np.concatenate([counter.features(x[..., c : c + 1]) for c in range(3)], -1)
            return per_channel, f'mnist_counter_penultimate x 3 ({counter.path})', counter.weights_sha256
        if not options.classifier:
            raise Skip(
                f'prdc_features=classifier needs --classifier=WORKDIR of a classifier of {run.config.data.name!r}'
            )
        clf = runs.load_classifier(options.classifier, run.config.data.name)
        features = lambda x: apply_in_chunks(clf.method.features, clf.state, x, mode_counter.CLASSIFIER_CHUNK)
        return features, f'classifier_penultimate ({options.classifier})', caches.weights_sha256(clf.state)
