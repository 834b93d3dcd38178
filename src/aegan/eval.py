"""Evaluates a trained run: `python -m aegan.eval --checkpoint=<workdir or workdir/checkpoints/STEP>`.

Restores the state and the run's saved config.json, draws samples with `--sampler` (`prior`, or `ppgn`: MCMC in
code space, samplers.py), computes the metrics that fit the data, prints them, and writes
`<workdir>/eval_<step>.json` (`eval_<step>_ppgn.json` for the PPGN sampler) plus a PNG beside it: for 2D mixtures a
scatter with the modes marked, for images a grid. Never writes into checkpoints/.

Metrics so far: 2D mixtures' mode coverage (PacGAN/VEEGAN protocol) and held-out reconstruction L1/L2 for methods
with an encoder.
"""

import json
import os

import jax
import jax.numpy as jnp
import numpy as np
from absl import app, flags

from aegan import checkpointing, data, methods, samplers, writers
from aegan.metrics.mode_coverage import mixture_coverage

FLAGS = flags.FLAGS
_PPGN = samplers.PPGNSettings()  # defaults
flags.DEFINE_string('checkpoint', None, 'A workdir of aegan.train (its newest checkpoint) or <workdir>/checkpoints/N.')
flags.DEFINE_enum('sampler', 'prior', samplers.SAMPLERS, 'prior: G(z), z ~ p(z). ppgn: PPGN chain in code space.')
flags.DEFINE_integer('num_samples', None, 'Samples to draw (default: 2,500 for 2D mixtures, 64 for images).')
flags.DEFINE_integer('seed', 0, 'Seed of the samples (and of the chain).')
flags.DEFINE_integer('ppgn_steps', _PPGN.num_steps, 'PPGN: chain length.')
flags.DEFINE_float('ppgn_eps1', _PPGN.eps1, 'PPGN: weight of the prior term R(h) - h.')
flags.DEFINE_float('ppgn_eps3', _PPGN.eps3, 'PPGN: std of the noise added at each step.')
flags.DEFINE_enum('ppgn_prior', _PPGN.prior_model, samplers.PRIOR_MODELS, 'PPGN: a DAE on codes, or R(h) = E(G(h)).')
flags.mark_flags_as_required(['checkpoint'])

NUM_SAMPLES_2D = 2500  # PacGAN/VEEGAN's `num_log_figure_sample`.
NUM_IMAGES = 64
NUM_DAE_TRAIN = 10_000  # Training examples whose codes the PPGN DAE learns.


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


def evaluate(checkpoint: str, sampler: str = 'prior', num_samples=None, seed: int = 0, ppgn=None) -> dict:
    """Runs the evaluation and writes its JSON and PNG; returns the JSON's content."""
    workdir, step, config, dataset, method, state = restore(checkpoint)
    is_2d = dataset.shape == (2,)
    num_samples = num_samples or (NUM_SAMPLES_2D if is_2d else NUM_IMAGES)
    ppgn = ppgn or samplers.PPGNSettings()
    train_data = None
    if sampler == 'ppgn' and ppgn.prior_model == 'dae':
        train_data = dataset.global_batch(config.seed, 0, NUM_DAE_TRAIN)
    sample = samplers.make_sampler(sampler, method, state, ppgn, train_data=train_data)
    samples = np.asarray(jax.device_get(sample(jax.random.key(seed), num_samples)))

    metrics = {}
    if is_2d and 'centers' in dataset.info:
        metrics.update(mixture_coverage(samples, dataset.info['centers'], dataset.info['std']))
    if method.reconstruct is not None and dataset.test_data is not None:
        test = jnp.asarray(dataset.test_data[:NUM_SAMPLES_2D])
        rec = np.asarray(jax.device_get(jax.jit(method.reconstruct)(state, test)))
        metrics['reconstruction_l1'] = float(np.abs(rec - np.asarray(test)).mean())
        metrics['reconstruction_l2'] = float(np.square(rec - np.asarray(test)).mean())

    name = f'eval_{step}' + ('' if sampler == 'prior' else f'_{sampler}')
    plot = writers.save_scatter if is_2d else writers.save_image_grid
    png = plot(os.path.join(workdir, name + '.png'), samples, dataset.info.get('centers'))
    result = {
        'metrics': {k: float(v) for k, v in metrics.items()},
        'checkpoint': f'{workdir}/checkpoints/{step}',
        'step': step,
        'method': config.method,
        'dataset': config.data.name,
        'sampler': sampler,
        'ppgn': ppgn._asdict() if sampler == 'ppgn' else None,
        'num_samples': num_samples,
        'seed': seed,
        'plot': png,
    }
    path = os.path.join(workdir, name + '.json')
    with open(path + '.tmp', 'w') as f:
        json.dump(result, f, indent=2)
    os.replace(path + '.tmp', path)
    result['json'] = path
    return result


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
    writers.quiet_library_logs()
    ppgn = samplers.PPGNSettings(
        num_steps=FLAGS.ppgn_steps, eps1=FLAGS.ppgn_eps1, eps3=FLAGS.ppgn_eps3, prior_model=FLAGS.ppgn_prior
    )
    result = evaluate(FLAGS.checkpoint, FLAGS.sampler, FLAGS.num_samples, FLAGS.seed, ppgn)
    lines = [f'{result["method"]} on {result["dataset"]}, step {result["step"]}, sampler={result["sampler"]}:']
    lines += [f'  {k:<24} {v:.4f}' for k, v in result['metrics'].items()]
    lines += [f'  wrote {result["json"]} and {result["plot"]}']
    print('\n'.join(lines))


if __name__ == '__main__':
    app.run(main)
