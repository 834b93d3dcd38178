"""Modes recovered and high-quality fraction of an experiment on a 2D mixture, over several seeds.

    python benchmarks/mode_coverage_seeds.py experiments/alphagan_ring8.py --seeds 0,1,2,3,4,5 [--steps 3000]
    python benchmarks/mode_coverage_seeds.py experiments/alphagan_ring8.py --set alphagan.lambda_rec=10

Trains each seed on one device in a temporary workdir, then scores 2,500 samples with the PacGAN/VEEGAN protocol
(metrics/mode_coverage.py). Reported, not asserted: GAN training fluctuates between evaluations.
"""

import argparse
import ast
import runpy
import tempfile

import jax
import numpy as np
from absl import logging

from aegan import data, methods, trainer
from aegan.metrics.mode_coverage import mixture_coverage


def apply_overrides(config, items):
    """`key.sub=value` strings (values as Python literals) -> config, like --config.key.sub=value."""
    for item in items:
        key, value = item.split('=', 1)
        *parents, leaf = key.split('.')
        node = config
        for parent in parents:
            node = node[parent]
        node[leaf] = ast.literal_eval(value)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    parser.add_argument('--seeds', default='0,1,2')
    parser.add_argument('--steps', type=int, default=None)
    parser.add_argument('--set', action='append', default=[], help='key=value override, e.g. alphagan.lambda_rec=10')
    args = parser.parse_args()
    logging.set_verbosity(logging.WARNING)
    rows = []
    for seed in (int(s) for s in args.seeds.split(',')):
        config = runpy.run_path(args.config)['get_config']()
        config.seed = seed
        if args.steps:
            config.num_train_steps = args.steps
        apply_overrides(config, args.set)
        with tempfile.TemporaryDirectory() as workdir:
            state = trainer.train_and_evaluate(config, workdir, devices=jax.devices()[:1])
        dataset = data.get_dataset(config.data)
        method = methods.get_method(config, dataset.shape)
        samples = np.asarray(method.sample(state, jax.random.key(123), 2500))
        coverage = mixture_coverage(samples, dataset.info['centers'], dataset.info['std'])
        rows.append(coverage)
        print(
            f'seed {seed}: modes {coverage["modes"]}/{dataset.info["num_modes"]}, '
            f'high quality {100 * coverage["high_quality_fraction"]:.1f}%, reverse KL {coverage["reverse_kl"]:.3f}',
            flush=True,
        )
    modes = [r['modes'] for r in rows]
    hq = [100 * r['high_quality_fraction'] for r in rows]
    print(
        f'{args.config} steps={config.num_train_steps} {args.set}: modes mean {np.mean(modes):.2f} '
        f'(min {min(modes)}), high quality mean {np.mean(hq):.1f}% over {len(rows)} seeds'
    )


if __name__ == '__main__':
    main()
