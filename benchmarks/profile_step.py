"""Where one training iteration spends its time: `jax.profiler` trace of a config's `update` on random data, summed
per XLA op kind (the op name without its `.N` suffix).

    python benchmarks/profile_step.py experiments/alphagan_stacked_mnist.py [--steps 5] [--top 15] [--batch_size N]

On XLA:CPU, `ynn_fusion` ops are the convolutions and matmuls (with fused elementwise work) that XLA hands to its
YNNPACK kernels; `convolution*` ops are XLA's own convolution emitter; `*_fusion` the rest of the elementwise
work; `transpose_copy_fusion` layout changes. Op times are summed over threads, so their total can exceed the
wall time. Reported, not asserted.
"""

import argparse
import collections
import glob
import gzip
import json
import re
import tempfile

import jax
from step_time import build_step, load_config_and_shape  # benchmarks/ is the script's directory


def profile_parser():
    """The arguments of both profilers (this one and profile_twin.py): config, steps traced, rows listed, batch size."""
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    parser.add_argument('--steps', type=int, default=5)
    parser.add_argument('--top', type=int, default=15)
    parser.add_argument('--batch_size', type=int, default=None)
    return parser


def main():
    args = profile_parser().parse_args()
    config, shape = load_config_and_shape(args.config, args.batch_size)
    state, step, x, key = build_step(config, shape)
    for _ in range(3):  # compile and warm up
        state, metrics = step(state, x, key)
        jax.block_until_ready(metrics)
    with tempfile.TemporaryDirectory() as trace_dir:
        jax.profiler.start_trace(trace_dir, create_perfetto_trace=True)
        for _ in range(args.steps):
            state, metrics = step(state, x, key)
            jax.block_until_ready(metrics)
        jax.profiler.stop_trace()
        (path,) = glob.glob(f'{trace_dir}/**/*.trace.json.gz', recursive=True)
        with gzip.open(path) as f:
            events = json.load(f)
    events = events['traceEvents'] if isinstance(events, dict) else events
    per_kind, count = collections.Counter(), collections.Counter()
    for event in events:
        name = event.get('name', '')
        if event.get('ph') == 'X' and 'dur' in event and not name.startswith(('ThunkExecutor', '$', 'PjitFunction')):
            kind = re.sub(r'\.\d+$', '', name)
            per_kind[kind] += event['dur'] / args.steps
            count[kind] += 1 / args.steps
    total = sum(per_kind.values())
    print(f'{args.config}: {total / 1e3:.1f} ms of XLA op time per iteration (summed over threads)')
    for kind, micros in per_kind.most_common(args.top):
        print(f'  {micros / 1e3:8.1f} ms  {100 * micros / total:5.1f}%  {round(count[kind]):4d} ops  {kind}')


if __name__ == '__main__':
    main()
