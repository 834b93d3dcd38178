"""Speed of the eval's heavy metrics on this machine: MS-SSIM pairs/s (ours vs tf.image.ssim_multiscale on the same
images) and Inception forward images/s.

    python benchmarks/metrics_speed.py [--pairs 256] [--inception_batch 50]

The Inception timing uses random weights of the real shapes (the real file cannot be downloaded here; speed does not
depend on the values). Reported, not asserted; the first call of each is compilation and is excluded.
"""

import argparse
import os
import sys
import time

import jax
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'tests'))

from aegan.metrics import inception, ms_ssim  # noqa: E402


def timed(fn, repeats=3):
    fn()  # compile / warm up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--pairs', type=int, default=256)
    parser.add_argument('--inception_batch', type=int, default=50)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f'JAX {jax.__version__} on {jax.default_backend()} ({jax.device_count()} device(s))')

    for size in (176, 256):
        a, b = (rng.uniform(0, 255, (args.pairs, size, size, 3)).astype(np.float32) for _ in range(2))
        ours = timed(lambda a=a, b=b: np.asarray(ms_ssim.ms_ssim(a, b, 255.0)))
        line = f'MS-SSIM {size}x{size}x3, {args.pairs} pairs: ours {args.pairs / ours:,.0f} pairs/s'
        try:
            import tensorflow as tf

            theirs = timed(lambda a=a, b=b: tf.image.ssim_multiscale(a, b, 255.0).numpy())
            line += f', tf.image.ssim_multiscale {args.pairs / theirs:,.0f} pairs/s'
        except ImportError:
            line += ' (TensorFlow not installed: no comparison)'
        print(line, flush=True)
    small = rng.uniform(0, 255, (args.pairs, 32, 32, 3)).astype(np.float32)
    t = timed(lambda: np.asarray(ms_ssim.ms_ssim(small, small[::-1], 255.0, small_images='shrink_filter')))
    print(f'MS-SSIM 32x32x3 (shrink_filter; TF cannot): {args.pairs / t:,.0f} pairs/s', flush=True)

    from test_inception import make_fake_state_dict

    from aegan.metrics.convert_inception import convert

    flat = convert(make_fake_state_dict())
    variables = {}
    for key, value in flat.items():
        node = variables
        *parents, leaf = key.split('/')
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    features = inception.make_feature_fn(variables)
    images = rng.integers(0, 256, (args.inception_batch, 32, 32, 3), dtype=np.uint8)
    t = timed(lambda: jax.block_until_ready(features(images)))
    print(
        f'Inception (32x32 uint8 -> 299, pool3 + logits), batch {args.inception_batch}: '
        f'{args.inception_batch / t:,.1f} images/s',
        flush=True,
    )


if __name__ == '__main__':
    main()
