"""What `DownConv`'s 'patches' algorithm (the first convolution on images as one matmul of its 4x4 patches) buys.

    python benchmarks/downconv_patches.py experiments/alphagan_stacked_mnist.py experiments/alphagan_cifar10.py

For each config, in one process: the α-GAN step compiled twice, with `layers.downconv_algorithm()`'s choice ('auto':
'patches' for the first layer on a CPU) and with 'matmul_input_grad' in its place (the algorithm before), timed in
`--rounds` interleaved rounds (medians of `--steps` calls a side, in halves ours, theirs, theirs, ours); then the first
layer alone, forward and forward + kernel gradient (what the encoder's first layer needs), both algorithms. The same
functions either way (tests/test_layers.py); timing only, nothing is asserted.
"""

import argparse
import contextlib
from unittest import mock

import jax
import jax.numpy as jnp
import numpy as np
import record
from step_time import build_step, load_config_and_shape  # benchmarks/ is the script's directory
from vs_pytorch import interleaved_rounds

from aegan.nets import layers

BEFORE = 'matmul_input_grad'


def without_patches():
    """A context in which 'auto' picks 'matmul_input_grad' wherever it would pick 'patches'."""
    choose = layers.downconv_algorithm

    def choice(shape):
        chosen = choose(shape)
        return BEFORE if chosen == 'patches' else chosen

    return mock.patch.object(layers, 'downconv_algorithm', choice)


def compiled_step(config, shape, batch, context):
    """A call of the α-GAN step compiled inside `context`, on its own copy of the state."""
    state, step, x, key = build_step(config, shape, batch, {})
    with context:
        compiled = step.lower(state, x, key).compile()
    holder = {'state': state}

    def run():
        holder['state'], metrics = compiled(holder['state'], x, key)
        jax.block_until_ready(metrics)

    run()
    return run


def rounds_of(a, b, rounds, steps):
    """`interleaved_rounds` of a against b: (a, b) medians in ms, and each round's ratio b / a."""
    a_s, b_s, ratios = interleaved_rounds(a, b, rounds, steps)
    return 1e3 * a_s, 1e3 * b_s, ratios


def step_row(config_path, rounds, steps):
    config, shape = load_config_and_shape(config_path, None)
    batch = np.random.default_rng(0).uniform(-1, 1, (config.batch_size, *shape)).astype(np.float32)
    ours = compiled_step(config, shape, batch, contextlib.nullcontext())
    before = compiled_step(config, shape, batch, without_patches())
    ours_ms, before_ms, ratios = rounds_of(ours, before, rounds, steps)
    print(
        f'{config_path} step (batch {config.batch_size}): patches {ours_ms:.1f} ms, {BEFORE} {before_ms:.1f} ms -> '
        f'{before_ms / ours_ms:.2f}x (rounds {", ".join(f"{r:.2f}" for r in ratios)})',
        flush=True,
    )
    return dict(what='step', config=config_path, ours_ms=ours_ms, before_ms=before_ms, ratio_rounds=ratios)


def layer_rows(config_path, rounds, steps):
    config, shape = load_config_and_shape(config_path, None)
    x = jax.random.normal(jax.random.key(0), (config.batch_size, *shape))
    features = config.model.width
    calls = {}
    for algorithm in ('patches', BEFORE):
        module = layers.DownConv(features, use_bias=False, algorithm=algorithm)
        variables = module.init(jax.random.key(1), x)
        forward = jax.jit(module.apply)
        kernel_grad = jax.jit(jax.grad(lambda v, x, m=module: jnp.sum(m.apply(v, x) ** 2)))
        calls[algorithm] = (
            lambda f=forward, v=variables: f(v, x).block_until_ready(),
            lambda g=kernel_grad, v=variables: jax.block_until_ready(g(v, x)),
        )
        for call in calls[algorithm]:
            call()
    rows = []
    for i, what in enumerate(('forward', 'forward + kernel gradient')):
        ours_ms, before_ms, ratios = rounds_of(calls['patches'][i], calls[BEFORE][i], rounds, steps)
        name = f'first layer {shape[-1]}->{features} @{shape[0]}x{shape[1]}, {what}'
        print(
            f'{config_path} {name}: patches {ours_ms:.2f} ms, {BEFORE} {before_ms:.2f} ms -> '
            f'{before_ms / ours_ms:.2f}x (rounds {", ".join(f"{r:.2f}" for r in ratios)})',
            flush=True,
        )
        rows.append(dict(what=name, config=config_path, ours_ms=ours_ms, before_ms=before_ms, ratio_rounds=ratios))
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--rounds', type=int, default=6)
    parser.add_argument('--steps', type=int, default=10, help='calls a side in each round')
    parser.add_argument('--out', default=record.default_path(__file__), help='the JSON of the figures')
    args = parser.parse_args()
    print(f'JAX {jax.__version__} on {jax.default_backend()} ({jax.device_count()} device(s))')
    rows = []
    for path in args.configs:
        rows.append(step_row(path, args.rounds, args.steps))
        rows += layer_rows(path, args.rounds, 2 * args.steps)
    record.write(args.out, rows)


if __name__ == '__main__':
    main()
