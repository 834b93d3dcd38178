"""Compile time and step time of a config's full training iteration on random data of the right shape.

    python benchmarks/step_time.py experiments/alphagan_cifar10.py [--steps 20] [--batch_size 64]

Needs no dataset (CIFAR-10 / CelebA shapes are known). Reports compile time (first call) and the median wall time
of `--steps` further calls, each waited on. Runs on all local devices; timing only, nothing is asserted.
"""

import argparse
import runpy
import time

import jax
import jax.numpy as jnp
import numpy as np

from aegan import data, methods, parallel

SHAPES = {'stacked_mnist': (28, 28, 3), 'cifar10': (32, 32, 3), 'celeb_a': (64, 64, 3)}


def load_config_and_shape(path, batch_size=None):
    """A config file's config (batch size overridden if given) and its data shape, without reading the data."""
    config = runpy.run_path(path)['get_config']()
    if batch_size:
        config.batch_size = batch_size
    return config, SHAPES.get(config.data.name) or data.get_dataset(config.data).shape


def build_step(config, shape, batch=None, compiler_options=None):
    """(state, jitted data-parallel step, global batch, key): one training iteration ready to call on random data."""
    mesh = parallel.make_mesh()
    parallel.check_batch_size(config.batch_size, mesh)
    method = methods.get_method(config, shape)
    state = jax.jit(
        lambda: method.init(jax.random.key(0), jnp.zeros((1, *shape))), out_shardings=parallel.replicated(mesh)
    )()
    if batch is None:
        batch = np.random.default_rng(0).uniform(-1, 1, (config.batch_size, *shape)).astype(np.float32)
    return (
        state,
        parallel.shard_step(method.update, mesh, compiler_options),
        parallel.to_global_batch(batch, mesh),
        jax.random.key(1),
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--batch_size', type=int, default=None)
    args = parser.parse_args()
    config, shape = load_config_and_shape(args.config, args.batch_size)
    state, step, batch, key = build_step(config, shape)

    t0 = time.perf_counter()
    state, metrics = step(state, batch, key)
    jax.block_until_ready((state, metrics))
    compile_s = time.perf_counter() - t0
    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        state, metrics = step(state, batch, key)
        jax.block_until_ready((state, metrics))
        times.append(time.perf_counter() - t0)
    ms = 1e3 * float(np.median(times))
    print(
        f'{args.config}: method={config.method} data={config.data.name}{shape} batch={config.batch_size} '
        f'devices={jax.device_count()} ({jax.default_backend()})'
    )
    print(f'  first call (compile + 1 step): {compile_s:.1f} s')
    print(
        f'  step time: median {ms:.1f} ms over {args.steps} steps '
        f'(min {1e3 * min(times):.1f}, max {1e3 * max(times):.1f}); {config.batch_size / ms * 1e3:.0f} images/s'
    )


if __name__ == '__main__':
    main()
