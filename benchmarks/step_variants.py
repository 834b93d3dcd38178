"""Step time of one config under two sets of overrides, timed in interleaved rounds in one process.

    python benchmarks/step_variants.py experiments/alphagan_stacked_mnist.py \
        --a alphagan.discriminator_inputs=updated --b alphagan.discriminator_inputs=same_forward

For choices inside a method (what D and C read, a loss variant) whose cost is the question: both variants are
compiled first, then called in rounds ordered a, b, b, a (vs_pytorch.interleaved), so that load on the shared machine
hits both alike. Random data of the config's shape; nothing is asserted. Writes benchmarks/results/step_variants.json.
"""

import argparse
import ast
import time

import jax
import record
from step_time import build_step, load_config_and_shape
from vs_pytorch import interleaved_rounds


def with_overrides(config, overrides):
    """`config` with each 'dotted.key=value' set (the value read as a Python literal, else as a string)."""
    config = config.copy_and_resolve_references()
    for override in overrides:
        key, value = override.split('=', 1)
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            pass
        *parents, leaf = key.split('.')
        node = config
        for parent in parents:
            node = node[parent]
        node[leaf] = value
    return config


def timed_step(config, shape):
    """(compile seconds, a function running one more step and waiting for it)."""
    state, step, batch, key = build_step(config, shape)
    start = time.perf_counter()
    state, metrics = step(state, batch, key)
    jax.block_until_ready(metrics)
    compile_s = time.perf_counter() - start
    holder = [state]

    def call():
        holder[0], metrics = step(holder[0], batch, key)
        jax.block_until_ready(metrics)

    return compile_s, call


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    parser.add_argument('--a', nargs='+', required=True, help='overrides of variant a, key=value')
    parser.add_argument('--b', nargs='+', required=True, help='overrides of variant b, key=value')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--steps', type=int, default=20, help='calls per round and side')
    parser.add_argument('--out', default=record.default_path(__file__))
    args = parser.parse_args()
    config, shape = load_config_and_shape(args.config)
    compile_a, call_a = timed_step(with_overrides(config, args.a), shape)
    compile_b, call_b = timed_step(with_overrides(config, args.b), shape)
    a_s, b_s, ratios = interleaved_rounds(call_a, call_b, args.rounds, args.steps)
    speedups = [1 / r for r in ratios]  # interleaved_rounds' ratios are b's time over a's
    row = {
        'config': args.config,
        'a': args.a,
        'b': args.b,
        'a_ms': 1e3 * a_s,
        'b_ms': 1e3 * b_s,
        'b_speedup': a_s / b_s,
        'round_b_speedups': speedups,
        'compile_a_s': compile_a,
        'compile_b_s': compile_b,
    }
    print(
        f'{args.config}: a {row["a_ms"]:.1f} ms, b {row["b_ms"]:.1f} ms a step (medians of {args.rounds} interleaved '
        f'rounds); b is {a_s / b_s:.2f}x as fast as a (rounds {min(speedups):.2f}-{max(speedups):.2f}x); '
        f'compile {compile_a:.1f} / {compile_b:.1f} s'
    )
    record.write(args.out, [row])


if __name__ == '__main__':
    main()
