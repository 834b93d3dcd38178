"""Speed of the eval's heavy metrics against what a researcher would otherwise use, each side by side in one run:

- MS-SSIM pairs/s: ours vs `tf.image.ssim_multiscale` on the same images (176 and 256 px: TF needs >= 176 px for five
  scales); at 28/32/64 px, where TF refuses, ours alone (`small_images='shrink_filter'`, the eval's default).
- Inception forward images/s (uint8 32 px -> 299, pool3 + logits): ours vs torchvision's `inception_v3` with the
  same bilinear resize to 299 and the same batch, torch using every CPU thread.

    pip install -e '.[bench]'
    python benchmarks/metrics_speed.py [--pairs 256] [--inception_batch 25,50,100]

The Inception networks have random weights of the real shapes (the real file cannot be downloaded here; speed does
not depend on the values). First calls (compilation) are excluded; each figure is the best of 3. Reported, not
asserted.
"""

import argparse
import os
import sys
import time
import types

import jax
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'tests'))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import record  # noqa: E402

from aegan.metrics import inception, ms_ssim  # noqa: E402


def timed(fn, repeats=3):
    fn()  # compile / warm up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.min(times))


def import_torchvision():
    """torchvision, or None. A torchvision whose compiled ops do not match the installed torch (e.g. a CPU-only torch
    beside a CUDA torchvision wheel) fails at import in its operator registrations, which its models do not use:
    skipping that module lets `torchvision.models` load."""
    try:
        import torchvision
    except ImportError:
        return None
    except RuntimeError:
        for name in [m for m in sys.modules if m.startswith('torchvision')]:
            del sys.modules[name]
        sys.modules['torchvision._meta_registrations'] = types.ModuleType('torchvision._meta_registrations')
        import torchvision
    return torchvision


def ms_ssim_rows(pairs, rng):
    rows = []
    try:
        import tensorflow as tf
    except ImportError:
        tf = None
    for size in (176, 256):
        a, b = (rng.uniform(0, 255, (pairs, size, size, 3)).astype(np.float32) for _ in range(2))
        ours = pairs / timed(lambda a=a, b=b: np.asarray(ms_ssim.ms_ssim(a, b, 255.0)))
        line = f'MS-SSIM {size}x{size}x3, {pairs} pairs: ours {ours:,.0f} pairs/s'
        row = dict(what='ms_ssim', size=size, pairs=pairs, ours=ours)
        if tf is not None:
            theirs = pairs / timed(lambda a=a, b=b: tf.image.ssim_multiscale(a, b, 255.0).numpy())
            line += f', tf.image.ssim_multiscale {theirs:,.0f} pairs/s -> {ours / theirs:.2f}x'
            row.update(theirs=theirs, ratio=ours / theirs, alternative=f'tf.image.ssim_multiscale {tf.__version__}')
        print(line, flush=True)
        rows.append(row)
    for size in (28, 32, 64):
        a, b = (rng.uniform(0, 255, (pairs, size, size, 3)).astype(np.float32) for _ in range(2))
        ours = pairs / timed(lambda a=a, b=b: np.asarray(ms_ssim.ms_ssim(a, b, 255.0, small_images='shrink_filter')))
        print(f'MS-SSIM {size}x{size}x3 (shrink_filter; TF cannot), {pairs} pairs: ours {ours:,.0f} pairs/s')
        rows.append(dict(what='ms_ssim_small', size=size, pairs=pairs, ours=ours))
    return rows


def inception_rows(batches, rng, torchvision):
    rows = []
    from test_inception import make_fake_state_dict

    from aegan.metrics.convert_inception import convert

    variables = inception.nest_variables(convert(make_fake_state_dict()))
    features = lambda images: inception.features_of(variables, images)
    if torchvision is not None:
        import torch

        torch.set_num_threads(os.cpu_count())
        net = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False).eval()

        def theirs(images):
            with torch.no_grad():
                x = torch.from_numpy(images).permute(0, 3, 1, 2).float()
                x = torch.nn.functional.interpolate(x, size=(299, 299), mode='bilinear', align_corners=False)
                return net((x - 128.0) / 128.0)

    for batch in batches:
        images = rng.integers(0, 256, (batch, 32, 32, 3), dtype=np.uint8)
        ours = batch / timed(lambda images=images: jax.block_until_ready(features(images)))
        line = f'Inception 32x32 uint8 -> 299, batch {batch}: ours {ours:,.1f} images/s'
        row = dict(what='inception', batch=batch, ours=ours)
        if torchvision is not None:
            tv = batch / timed(lambda images=images: theirs(images))
            line += f', torchvision {torchvision.__version__} inception_v3 {tv:,.1f} images/s -> {ours / tv:.2f}x'
            row.update(theirs=tv, ratio=ours / tv, alternative=f'torchvision {torchvision.__version__} inception_v3')
        print(line, flush=True)
        rows.append(row)
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--pairs', type=int, default=256)
    parser.add_argument('--inception_batch', default='25,50,100')
    parser.add_argument('--skip', default='', help='comma-separated: ms_ssim, inception')
    parser.add_argument('--out', default=record.default_path(__file__), help='the JSON of the figures')
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f'JAX {jax.__version__} on {jax.default_backend()} ({jax.device_count()} device(s)), {os.cpu_count()} CPUs')
    # torch before TensorFlow: the other order segfaults in torchvision's import (PyTorch 2.14.1, TensorFlow 2.21).
    torchvision = import_torchvision() if 'inception' not in args.skip else None
    rows = []
    if 'ms_ssim' not in args.skip:
        rows += ms_ssim_rows(args.pairs, rng)
    if 'inception' not in args.skip:
        rows += inception_rows([int(b) for b in args.inception_batch.split(',')], rng, torchvision)
    record.write(args.out, rows)


if __name__ == '__main__':
    main()
