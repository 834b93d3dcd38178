"""The eval's metrics as a registry: one function per metric, `metric(context) -> Result`, raising `Skip(reason)`
where it does not apply to the run. `aegan.eval` draws the samples, builds the `Context`, runs the requested entries
of `METRICS` in order and writes the report. Adding a metric is one function here and one line in `METRICS`
(docs/eval.md, "Adding a metric"); algorithms and sources are in docs/metrics.md.
"""

import os
from collections.abc import Callable

import numpy as np

from aegan import reference_data, runs, writers
from aegan.batching import apply_in_chunks
from aegan.evaluators import mode_counter
from aegan.evaluators.context import Context, Result, Skip
from aegan.images import to_pixels
from aegan.metrics import critic as critic_lib
from aegan.metrics import fid as fid_lib
from aegan.metrics import inception_score as inception_score_lib
from aegan.metrics import mode_coverage as mode_coverage_lib
from aegan.metrics import ms_ssim as ms_ssim_lib

NUM_RECONSTRUCTIONS = 2500  # held-out examples the reconstruction metric reads


def mode_coverage(ctx: Context) -> Result:
    """2-D mixtures: modes, high-quality fraction, reverse KL. Stacked MNIST: modes of 1,000 and KL from a counter."""
    dataset = ctx.run.dataset
    if 'centers' in dataset.info:
        values = mode_coverage_lib.mixture_coverage(ctx.samples, dataset.info['centers'], dataset.info['std'])
        return Result(values, {'threshold_std': 3.0})
    if dataset.name != 'stacked_mnist':
        raise Skip(f'no mode structure known for {dataset.name!r}')
    counter = mode_counter.mnist_counter(ctx.options.classifier, os.path.expanduser(ctx.options.cache_dir))
    coverage = mode_coverage_lib.stacked_mnist_coverage(ctx.samples, counter.probabilities)
    n = len(ctx.samples)
    settings = {
        'classifier': counter.path,
        'classifier_test_accuracy': counter.accuracy,
        'confidence': mode_coverage_lib.CONFIDENCE,
        'real_data': mode_counter.cached_real_data_floor(ctx.run, counter, n, ctx.options.seed, ctx.options.cache_dir),
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
    logits = apply_in_chunks(clf.method.classify, clf.state, ctx.samples, mode_counter.CLASSIFIER_CHUNK)
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


def check_metrics(names) -> None:
    """Raises ValueError naming the unknown entries of `names` (None: the defaults) and the valid ones."""
    unknown = sorted(set(names or ()) - set(METRICS))
    if unknown:
        raise ValueError(f'Unknown metrics {unknown}; valid choices: {list(METRICS)}.')


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
