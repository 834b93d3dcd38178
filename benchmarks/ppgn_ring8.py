"""Prior sampling vs PPGN code-space sampling on a 2D mixture, for methods with an encoder, over seeds.

    python benchmarks/ppgn_ring8.py experiments/ae_ring8.py experiments/alphagan_ring8.py --seeds 0,1,2
    python benchmarks/ppgn_ring8.py experiments/alphagan_ring8.py --set alphagan.lambda_rec=10

Trains each config and seed on one device, then scores 2,500 samples from the prior (G(z), z ~ p(z)) and from the
PPGN chain (samplers.py, default settings) with the PacGAN/VEEGAN protocol. Also scores the reconstructions G(E(x))
of 2,500 held-out points: a code-space sampler can at best reach their quality, since the chain only moves codes
to where the data's codes are. Reported, not asserted.
"""

import argparse
import runpy
import tempfile

import jax
import numpy as np
from absl import logging
from mode_coverage_seeds import apply_overrides  # benchmarks/ is sys.path[0] when run as a script

from aegan import data, methods, samplers, trainer
from aegan.metrics.mode_coverage import mixture_coverage


def score(points, dataset):
    c = mixture_coverage(np.asarray(points), dataset.info['centers'], dataset.info['std'])
    return c['modes'], 100 * c['high_quality_fraction']


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--seeds', default='0,1,2')
    parser.add_argument('--set', action='append', default=[], help='key=value override, e.g. alphagan.lambda_rec=10')
    args = parser.parse_args()
    logging.set_verbosity(logging.WARNING)
    print('| config | seed | prior: modes, HQ % | PPGN: modes, HQ % | reconstructions: modes, HQ % |')
    print('|---|---|---|---|---|')
    for path in args.configs:
        for seed in (int(s) for s in args.seeds.split(',')):
            config = runpy.run_path(path)['get_config']()
            config.seed = seed
            apply_overrides(config, args.set)
            with tempfile.TemporaryDirectory() as workdir:
                state = trainer.train_and_evaluate(config, workdir, devices=jax.devices()[:1])
            state = jax.device_put(state, jax.devices()[0])
            dataset = data.get_dataset(config.data)
            method = methods.get_method(config, dataset.shape)
            train = dataset.global_batch(seed, 0, 10_000)
            row = []
            for name in samplers.SAMPLERS:
                sample = samplers.make_sampler(name, method, state, train_data=train)
                row.append(score(sample(jax.random.key(123), 2500), dataset))
            row.append(score(method.reconstruct(state, dataset.test_data[:2500]), dataset))
            cells = ' | '.join(f'{m}, {hq:.1f}' for m, hq in row)
            print(f'| {path.split("/")[-1]} {" ".join(args.set)} | {seed} | {cells} |', flush=True)


if __name__ == '__main__':
    main()
