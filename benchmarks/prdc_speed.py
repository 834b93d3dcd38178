"""Precision/recall/density/coverage: ours against the official `prdc` package (Naeem et al., what a researcher would
use instead), on the same features, side by side in one run.

    pip install -e '.[bench]'    # prdc (also a test extra: tests/test_prdc.py checks our values against it)
    python benchmarks/prdc_speed.py [--n 10000] [--dims 2048,9408]

n real and n sample feature vectors of each dimension: 2,048 is Inception pool3, 9,408 the Stacked MNIST counter's
features (3 x 3,136, the eval's default there). Both sides compute all four metrics with k = 5 (the official
package takes one k; the eval uses k = 3 for precision/recall and k = 5 for density/coverage, from the same passes),
and the largest difference between their values is printed. The features are clusters with some dropped from the
samples, so the values lie strictly between 0 and 1. Each figure is one call after a warm-up call on a tenth of the
data (compilation excluded). Reported, not asserted.
"""

import argparse
import importlib.metadata
import os
import time

import jax
import numpy as np
import record  # benchmarks/ is the script's directory

from aegan.metrics import prdc

K = 5
ALTERNATIVE = 'prdc {} (scikit-learn {} pairwise_distances)'


def clustered_features(rng, n: int, dim: int, clusters: int = 100, dropped: int = 0) -> np.ndarray:
    """n points around `clusters` centres (the last `dropped` never used), float32: real-looking structure."""
    centres = rng.normal(size=(clusters, dim)) * 2.0
    labels = rng.integers(0, clusters - dropped, n)
    return (centres[labels] + rng.normal(size=(n, dim))).astype(np.float32)


def alternative() -> str:
    return ALTERNATIVE.format(importlib.metadata.version('prdc'), importlib.metadata.version('scikit-learn'))


def row(n: int, dim: int) -> dict:
    import prdc as official

    real = clustered_features(np.random.default_rng(0), n, dim)
    fake = clustered_features(np.random.default_rng(0), n, dim, dropped=10)  # same centres, 10 modes dropped
    fake += np.random.default_rng(1).normal(0, 0.3, fake.shape).astype(np.float32)
    warm = n // 10
    prdc.prdc(real[:warm], fake[:warm], K, K)
    t0 = time.perf_counter()
    ours = prdc.prdc(real, fake, K, K)
    ours_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    theirs = official.compute_prdc(real, fake, nearest_k=K)
    theirs_s = time.perf_counter() - t0
    difference = max(abs(ours[m] - float(theirs[m])) for m in ours)
    print(
        f'PRDC n={n:,} real and samples, d={dim:,}, k={K}: ours {ours_s:.2f} s, {alternative()} {theirs_s:.2f} s '
        f'-> {theirs_s / ours_s:.2f}x; '
        f'values {ours}, largest difference {difference:.1e}',
        flush=True,
    )
    return dict(n=n, dim=dim, k=K, ours_s=ours_s, theirs_s=theirs_s, ratio=theirs_s / ours_s, ours=ours) | dict(
        max_abs_difference=difference
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--n', type=int, default=10_000)
    parser.add_argument('--dims', default='2048,9408')
    parser.add_argument('--out', default=record.default_path(__file__), help='the JSON of the figures')
    args = parser.parse_args()
    print(f'JAX {jax.__version__} on {jax.default_backend()} ({jax.device_count()} device(s)), {os.cpu_count()} CPUs')
    rows = [row(args.n, int(d)) | dict(what='prdc', alternative=alternative()) for d in args.dims.split(',')]
    record.write(args.out, rows)


if __name__ == '__main__':
    main()
