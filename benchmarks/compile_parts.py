"""Where the first step's start-up goes, cold and warm: a config's training step traced, lowered, compiled (or loaded
from the persistent compilation cache) and run once, each timed, in two fresh processes sharing one cache directory.

    python benchmarks/compile_parts.py experiments/alphagan_stacked_mnist.py

The cache keys on the lowered program, so tracing and lowering are paid on every start; only compilation is saved.
Reported, not asserted.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import record  # noqa: E402

PARTS = ('init', 'trace', 'lower', 'compile', 'first_run')


def measure(config_path: str, cache: str) -> dict:
    """In this process: the seconds of each part, with `cache` as JAX's persistent compilation cache."""
    import jax

    from aegan import compilation_cache

    compilation_cache.enable(cache)
    from step_time import build_step, load_config_and_shape

    config, shape = load_config_and_shape(config_path)
    times, t0 = {}, time.perf_counter()
    state, step, x, key = build_step(config, shape)  # includes the jitted init (also cached)
    times['init'], t0 = time.perf_counter() - t0, time.perf_counter()
    traced = step.trace(state, x, key)
    times['trace'], t0 = time.perf_counter() - t0, time.perf_counter()
    lowered = traced.lower()
    times['lower'], t0 = time.perf_counter() - t0, time.perf_counter()
    compiled = lowered.compile()
    times['compile'], t0 = time.perf_counter() - t0, time.perf_counter()
    jax.block_until_ready(compiled(state, x, key))
    times['first_run'] = time.perf_counter() - t0
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    parser.add_argument('--cache', help=argparse.SUPPRESS)  # set in the child processes
    parser.add_argument('--out', default=record.default_path(__file__), help='the JSON of the figures')
    args = parser.parse_args()
    if args.cache:
        print(json.dumps(measure(args.config, args.cache)))
        return
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        for start in ('cold', 'warm'):
            child = [sys.executable, __file__, args.config, f'--cache={cache}']
            output = subprocess.run(child, check=True, capture_output=True, text=True).stdout
            times = json.loads(output.splitlines()[-1])
            print(f'{args.config}, {start} cache: ' + ', '.join(f'{k} {times[k]:.2f} s' for k in PARTS), flush=True)
            rows.append(dict(config=args.config, start=start, **times))
    record.write(args.out, rows)


if __name__ == '__main__':
    main()
