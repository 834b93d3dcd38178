"""Evaluates a trained run: `python -m aegan.eval --checkpoint=<workdir or workdir/checkpoints/STEP>`.

Restores the state and the run's saved config.json (read-only: nothing under checkpoints/ is touched), draws samples
on all local devices with `--sampler` (`prior`, or `ppgn`: MCMC in code space, samplers.py), computes `--metrics`
(default: what fits the data), prints a table and writes `<workdir>/eval_<step>.json` (`eval_<step>_ppgn.json`)
with the metric values, sample count, seeds, metric settings and the Inception weights' sha256, plus PNGs beside it:
the sample grid (2D: a scatter with the modes marked), and for Stacked MNIST the histogram of the 1,000 modes.

Metrics (exact algorithms and sources in docs/metrics.md):
  mode_coverage            2D mixtures: modes, % within 3 std, reverse KL. Stacked MNIST: modes of 1,000 and
                           KL(p_gen || uniform) from an MNIST classifier (--classifier, or trained and cached).
  inception_score, fid,    the 2015-12-05 Inception (--inception_weights), at the published protocol by default:
  kid                      50,000 samples (IS: 10 splits of 5,000); FID/KID against the whole training split (at
                           most 50,000 images, the same for every seed; reference_data.py), cached, or
                           --fid_reference.
  dataset_inception_score  IS with a dataset classifier trained by aegan.train (--classifier=WORKDIR).
  ms_ssim                  sample diversity: mean MS-SSIM over seeded random pairs, and 1 - that.
  reconstruction           L1, L2 and MS-SSIM between held-out x and G(E(x)) (methods with an encoder).
  critic                   the alpha-GAN paper's independent Wasserstein critic, on held-out data.
  precision_recall,        k-NN manifolds of real and sample features (Kynkäänniemi et al. 2019; Naeem et al. 2020):
  density_coverage         recall and coverage fall when modes are dropped, with no labels (--prdc_features).
"""

import dataclasses
import json
import time

import jax
import jax.numpy as jnp
import numpy as np
from absl import app, flags, logging
from etils import epath
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from aegan import cli, compilation_cache, ema, filesystem, parallel, reference_data, runs, samplers, writers
from aegan.evaluators import caches, context, inception_features, registry
from aegan.methods import classifier as classifier_lib
from aegan.metrics import ms_ssim

METRICS = tuple(registry.METRICS)
NUM_SAMPLES_2D = 2500  # PacGAN/VEEGAN's `num_log_figure_sample`.
NUM_SAMPLES_STACKED_MNIST = 26_000  # PacGAN's Stacked MNIST count.
NUM_SAMPLES_IMAGES = 50_000  # Salimans et al.'s IS and TTUR's FID count
NUM_SAMPLES_OTHER_IMAGES = 10_000  # images without Inception metrics by default (1-channel MNIST)
NUM_DAE_TRAIN = 10_000  # Training examples whose codes the PPGN DAE learns.
PPGN_CHUNK = 1000  # chains run (and images are decoded) this many at a time
WEIGHTS_ENV = inception_features.WEIGHTS_ENV
_PPGN = samplers.PPGNSettings()  # defaults

FLAGS = flags.FLAGS
flags.DEFINE_string('checkpoint', None, 'A workdir of aegan.train (its newest checkpoint) or <workdir>/checkpoints/N.')
flags.DEFINE_enum('sampler', 'prior', samplers.SAMPLERS, 'prior: G(z), z ~ p(z). ppgn: PPGN chain in code space.')
flags.DEFINE_enum(
    'weights',
    None,
    ema.WEIGHTS,
    "The generator's moving average ('ema') or its trained weights ('raw'); default: 'ema' where the run has one.",
)
flags.DEFINE_list('metrics', None, f'Metrics to compute, from {list(METRICS)} (default: those that fit the data).')
flags.DEFINE_integer(
    'num_samples',
    None,
    'Samples to draw (default: 2,500 for 2D, 26,000 Stacked MNIST, 50,000 RGB images, else 10,000).',
)
flags.DEFINE_integer('seed', 0, "Seed of the samples, the chain and the metrics' random pairs.")
flags.DEFINE_integer(
    'batchnorm_passes',
    None,
    "Train-mode passes of fresh z that refresh G's BatchNorm statistics before sampling (PacGAN: 50; 0: the "
    "trained running statistics). Default: the run's config.eval.batchnorm_passes.",
)
flags.DEFINE_string(
    'inception_weights', None, f'Converted Inception .npz (aegan.metrics.convert_inception); or ${WEIGHTS_ENV}.'
)
flags.DEFINE_string('classifier', None, 'Workdir of a classifier trained by aegan.train (experiments/classifier_*.py).')
flags.DEFINE_string('fid_reference', None, '.npz with mu, sigma (and features for KID) of the real data.')
flags.DEFINE_integer(
    'reference_images',
    None,
    'Real images of the FID/KID reference (default: the whole training split, at most 50,000: the protocol).',
)
flags.DEFINE_bool(
    'save_features', False, "Write the samples' Inception pool3 and logits to <workdir>/<eval>_inception.npz."
)
flags.DEFINE_string(
    'cache_dir',
    caches.default_cache_dir(),
    f'Where computed reference statistics and the MNIST counter go (default from ${caches.CACHE_ENV} if set).',
)
flags.DEFINE_string(
    'compilation_cache',
    compilation_cache.default_dir(),
    f"JAX's persistent compilation cache directory ('' = off; default from ${compilation_cache.ENV} if set).",
)
flags.DEFINE_integer('ms_ssim_pairs', 1000, 'Random distinct pairs for MS-SSIM diversity.')
flags.DEFINE_enum('ms_ssim_small_images', 'shrink_filter', ms_ssim.SMALL_IMAGE_POLICIES, 'MS-SSIM below 176 px.')
flags.DEFINE_integer('critic_steps', 1000, 'Training steps of the independent Wasserstein critic.')
flags.DEFINE_enum(
    'prdc_features',
    'auto',
    context.PRDC_FEATURES,
    'Feature space of precision/recall/density/coverage. auto: the points (2-D), the mode counter (Stacked MNIST), '
    "--classifier (if it classifies the run's data), else Inception pool3.",
)
flags.DEFINE_integer('prdc_samples', 10_000, 'Samples (and as many real images) for precision/recall/density/coverage.')
flags.DEFINE_integer('ppgn_steps', _PPGN.num_steps, 'PPGN: chain length.')
flags.DEFINE_float('ppgn_eps1', _PPGN.eps1, 'PPGN: weight of the prior term R(h) - h.')
flags.DEFINE_float('ppgn_eps3', _PPGN.eps3, 'PPGN: std of the noise added at each step.')
flags.DEFINE_float('ppgn_eps2', _PPGN.eps2, 'PPGN: weight of the class term d log p(y|G(h))/dh (needs --classifier).')
flags.DEFINE_enum('ppgn_prior', _PPGN.prior_model, samplers.PRIOR_MODELS, 'PPGN: a DAE on codes, or R(h) = E(G(h)).')


def default_metrics(dataset, method) -> list:
    if dataset.shape == (2,):
        names = ['mode_coverage']
    elif dataset.name == 'stacked_mnist':
        names = ['mode_coverage', 'ms_ssim']
    elif dataset.shape[-1] == 3:
        names = ['inception_score', 'fid', 'kid', 'ms_ssim']
    else:
        names = ['ms_ssim']
    if dataset.shape == (2,) or dataset.shape[-1] == 3:  # a feature space exists (the points, a counter, Inception)
        names += ['precision_recall', 'density_coverage']
    return names + (['reconstruction'] if method.reconstruct is not None and dataset.test_data is not None else [])


def default_num_samples(dataset) -> int:
    """The published protocol's count: PacGAN's 2,500 (2-D) and 26,000 (Stacked MNIST), Salimans et al.'s and TTUR's
    50,000 for the Inception metrics of RGB images."""
    if dataset.shape == (2,):
        return NUM_SAMPLES_2D
    if dataset.name == 'stacked_mnist':
        return NUM_SAMPLES_STACKED_MNIST
    return NUM_SAMPLES_IMAGES if dataset.shape[-1] == 3 else NUM_SAMPLES_OTHER_IMAGES


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


def recompute_batch_stats(run: runs.Run, key, passes: int):
    """G's BatchNorm statistics refreshed with the weights being evaluated: `passes` train-mode forwards of a
    training batch of fresh prior codes, each moving the running statistics at BatchNorm's own momentum. PacGAN's
    code does this at every epoch's end (its monitoring pass: 50 batches of 100, then the samples), akin to
    BigGAN's standing statistics (which reset and average equally); the running averages left by training trail G
    (by ~20 steps at momentum 0.95), which on the ring of 8 (std 0.01) moves samples out of their modes
    (docs/study.md, "The eval's BatchNorm statistics"). The passes run on the most local devices that split the
    batch (BatchNorm averages over them, so the statistics do not depend on the device count)."""
    if 'generator' not in run.state.batch_stats:
        raise ValueError(
            f'batchnorm_passes={passes} but the generator of {run.workdir} has no BatchNorm: pass --batchnorm_passes=0.'
        )
    batch, devices = run.config.batch_size, jax.local_devices()
    mesh = parallel.make_mesh(devices[: max(d for d in range(1, len(devices) + 1) if batch % d == 0)])
    rows = NamedSharding(mesh, P(parallel.DATA_AXIS))
    refresh = jax.jit(
        parallel.data_parallel(run.method.refresh_batch_stats, mesh, (P(), P(parallel.DATA_AXIS)), P()),
        out_shardings=parallel.replicated(mesh),
    )
    state = jax.device_put(run.state, parallel.replicated(mesh))
    for i in range(passes):
        state = refresh(state, jax.device_put(run.method.prior(jax.random.fold_in(key, i), batch), rows))
    return state


def ppgn_class_term(classifier: str | None, data_name: str):
    """(class_log_prob(clf_state, x, y) -> log p(y | x), clf_state, num_classes) from a classifier workdir of the run's
    own data."""
    if not classifier:
        raise ValueError(
            '--ppgn_eps2 > 0 needs --classifier=WORKDIR of a classifier of the same data (experiments/classifier_*.py).'
        )
    clf = runs.load_classifier(classifier, data_name)

    def class_log_prob(state, x, labels):
        log_p = jax.nn.log_softmax(clf.method.classify(state, x))
        return jnp.take_along_axis(log_p, labels[:, None], axis=1)[:, 0]

    return class_log_prob, clf.state, clf.config.classifier.num_classes


def draw_samples(run: runs.Run, options: context.Options, num_samples: int) -> tuple[np.ndarray, dict]:
    """The samples the metrics read, and the sampler's settings for the report."""
    key = jax.random.key(options.seed)
    if options.sampler == 'prior':
        return sample_on_all_devices(run.method, run.state, key, num_samples), {}
    ppgn = options.ppgn
    train_data = run.dataset.global_batch(run.config.seed, 0, NUM_DAE_TRAIN) if ppgn.prior_model == 'dae' else None
    class_log_prob, clf_state, num_classes = None, None, 0
    if ppgn.eps2 > 0:
        class_log_prob, clf_state, num_classes = ppgn_class_term(options.classifier, run.config.data.name)
    sample = samplers.make_sampler(
        options.sampler,
        run.method,
        run.state,
        ppgn,
        train_data,
        class_log_prob,
        clf_state,
        num_classes,
        options.seed,
        PPGN_CHUNK,
    )
    settings = {**ppgn._asdict(), 'chunk': PPGN_CHUNK, 'dae_key': f'fold_in(key(seed={options.seed}), 1)'}
    if class_log_prob is not None:
        settings['classifier'] = options.classifier
    return sample(key, num_samples), {'ppgn': settings}


def evaluate_classifier(run: runs.Run) -> dict:
    """A classifier run has no samples: its eval is the held-out accuracy (the number the counters rely on)."""
    dataset = run.dataset
    if dataset.test_data is None or 'test_labels' not in dataset.info:
        raise ValueError(
            f'{run.workdir} holds a classifier of {run.config.data.name!r}, which has no labelled held-out data.'
        )
    accuracy = classifier_lib.accuracy(run.method, run.state, dataset.test_data, dataset.info['test_labels'])
    return {'test_accuracy': accuracy, 'held_out_examples': len(dataset.test_data)}


def evaluate(checkpoint: str, **options) -> dict:
    """Runs the evaluation (keyword options: `context.Options`' fields) and writes its JSON and PNGs; returns the
    JSON's content. A disk that is full or read-only ends in one StorageError that says which (the run's own
    directory, or the cache of `evaluators.caches.CACHE_ENV`); the checkpoints are only read."""
    options = context.Options(**options)
    registry.check_metrics(options.metrics)
    run = runs.restore(checkpoint)
    with filesystem.writing(
        f'writing the eval of {run.workdir}', 'copy the run to a writable disk and evaluate the copy'
    ):
        return _evaluate(run, options)


def _evaluate(run: runs.Run, options: context.Options) -> dict:
    if run.method.sample is None:
        if options.sampler != 'prior' or options.metrics:
            raise ValueError(
                f'{run.workdir} holds a {run.config.method!r} run, which has no samples: its eval is the held-out '
                'accuracy alone (drop --sampler and --metrics).'
            )
        return _write_result(run, f'eval_{run.step}', options, evaluate_classifier(run))
    weights = options.weights or ('ema' if ema.has_average(run.state) else 'raw')
    run = run._replace(state=ema.weights(run.state, weights, run.config.get('ema', {}).get('batch_stats', 'raw')))
    names = options.metrics or default_metrics(run.dataset, run.method)
    num_samples = options.num_samples or default_num_samples(run.dataset)
    start = time.perf_counter()
    passes = options.batchnorm_passes
    passes = run.config.get('eval', {}).get('batchnorm_passes', 0) if passes is None else passes
    if passes:  # a key apart from the samples' (fold_in 1 is PPGN's DAE)
        run = run._replace(
            state=recompute_batch_stats(run, jax.random.fold_in(jax.random.key(options.seed), 2), passes)
        )
    samples, sampler_settings = draw_samples(run, options, num_samples)
    name = eval_name(run.step, options.sampler, weights, ema.has_average(run.state) or weights == 'ema')
    ctx = context.Context(run, samples, options, name, seconds={'sampling': time.perf_counter() - start})
    values, settings, skipped, pictures = registry.run_metrics(ctx, names)
    if run.dataset.shape == (2,):
        grid = writers.save_scatter(ctx.picture_path('.png'), samples, run.dataset.info.get('centers'))
    else:
        grid = writers.save_image_grid(ctx.picture_path('.png'), samples[:64])
    settings = {'seed': options.seed, 'weights': weights, 'batchnorm_passes': passes, **sampler_settings, **settings}
    seconds = {**ctx.seconds, 'total': time.perf_counter() - start}
    return _write_result(run, name, options, values, skipped, settings, [grid, *pictures], num_samples, seconds)


def eval_name(step: int, sampler: str, weights: str, has_average: bool) -> str:
    """`eval_<step>[_<sampler>][_raw]`: the default weights of a run (its average, where it has one) need no
    suffix; the raw weights of a run that also has an average get `_raw`, so the two evals never replace each
    other."""
    return (
        f'eval_{step}'
        + ('' if sampler == 'prior' else f'_{sampler}')
        + ('_raw' if has_average and weights == 'raw' else '')
    )


def _same_samples(a: dict, b: dict) -> bool:
    """Two eval results read the same samples: same checkpoint, sampler, count, seed, chain settings
    and BatchNorm refresh."""
    keys = ('checkpoint', 'sampler', 'num_samples', 'reference_stream')
    settings = lambda r: (  # an eval from before the average (the BatchNorm refresh): raw weights (0 passes)
        r['settings'].get('seed'),
        r['settings'].get('ppgn'),
        r['settings'].get('weights', 'raw'),
        r['settings'].get('batchnorm_passes', 0),
    )
    return all(a.get(k) == b.get(k) for k in keys) and settings(a) == settings(b)


def _merge_with_previous(path: epath.Path, result: dict) -> dict:
    """An earlier eval JSON at `path` of the same samples keeps the metrics this eval did not compute (so metrics can
    be added to an eval one at a time); one of other samples is kept beside, renamed, never overwritten silently."""
    if not path.exists():
        return result
    previous = json.loads(path.read_text())
    if not _same_samples(previous, result):
        kept = path.parent / f'{path.stem}.replaced_{time.strftime("%Y%m%d-%H%M%S")}.json'
        path.rename(kept)
        logging.warning('%s held an eval of other samples; it is kept as %s.', path, kept)
        return result
    computed = set(result['settings']) | set(result['skipped'])
    merged = {
        **result,
        'metrics': {**previous['metrics'], **result['metrics']},
        'settings': {**previous['settings'], **result['settings']},
        'skipped': {k: v for k, v in previous['skipped'].items() if k not in computed},
        'plots': list(dict.fromkeys(previous['plots'] + result['plots'])),
    }
    for name, reason in result['skipped'].items():  # a skip now does not erase a value computed before
        if name not in previous['settings']:
            merged['skipped'][name] = reason
    kept = sorted(set(previous['metrics']) - set(result['metrics']))
    if kept:
        logging.info('%s: kept %s from the earlier eval of the same samples.', path, ', '.join(kept))
    return merged


def _write_result(
    run, name, options, values, skipped=None, settings=None, pictures=(), num_samples=0, seconds=None
) -> dict:
    """Writes <workdir>/<name>.json (atomically: written beside, then renamed), merged with an earlier eval of the
    same samples there, and returns its content."""
    result = {
        'metrics': {k: float(v) for k, v in values.items()},
        'skipped': skipped or {},
        'checkpoint': f'{run.workdir}/checkpoints/{run.step}',
        'step': run.step,
        'method': run.config.method,
        'dataset': run.config.data.name,
        'sampler': options.sampler,
        'num_samples': num_samples,
        'reference_stream': reference_data.REFERENCE_SEED,  # the real reference's (an older JSON's is not merged)
        'settings': settings or {},
        'devices': jax.local_device_count(),
        'plots': list(pictures),
        'seconds': seconds or {},  # this eval's: sampling, each shared resource and metric, total
    }
    path = epath.Path(run.workdir) / (name + '.json')
    result = _merge_with_previous(path, result)
    tmp = path.parent / (path.name + '.tmp')
    tmp.write_text(json.dumps(result, indent=2))
    tmp.replace(path)
    return {**result, 'json': str(path)}


def report_lines(result: dict) -> list:
    """The table `aegan.eval` prints."""
    lines = [
        f'{result["method"]} on {result["dataset"]}, step {result["step"]}, sampler={result["sampler"]}, '
        f'weights={result["settings"].get("weights", "raw")}, '
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
    reference = result['settings'].get('fid', result['settings'].get('kid', {})).get('reference')
    if isinstance(reference, dict) and 'rows' in reference:
        whole = ', the whole training split' if reference['whole_split'] else ''
        of = f' of {reference["split_size"]:,}' if reference['split_size'] else ' (a fixed draw)'
        lines += [f'  FID/KID reference: {reference["num_images"]:,}{of} training images{whole}']
    if result.get('seconds'):
        took = ', '.join(f'{k} {v:.1f}' for k, v in result['seconds'].items() if k != 'total')
        lines += [f'  took {result["seconds"]["total"]:.1f} s for {result["num_samples"]:,} samples ({took})']
    lines += [f'  skipped {k}: {v}' for k, v in result['skipped'].items()]
    lines += [f'  wrote {result["json"]} and {", ".join(result["plots"])}']
    return lines


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
    option_names = [f.name for f in dataclasses.fields(context.Options) if f.name != 'ppgn']
    with cli.user_errors('aegan.eval'):
        result = evaluate(FLAGS.checkpoint, ppgn=ppgn, **{name: FLAGS[name].value for name in option_names})
    print('\n'.join(report_lines(result)))


if __name__ == '__main__':
    flags.mark_flags_as_required(['checkpoint'])
    app.run(main)
