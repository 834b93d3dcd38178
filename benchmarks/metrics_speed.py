"""Speed of the eval's heavy metrics against what a researcher would otherwise use, each side by side in one run:

- MS-SSIM pairs/s: ours vs `tf.image.ssim_multiscale` on the same images (176 and 256 px: TF needs >= 176 px for five
  scales); at 28/32/64 px, where TF refuses, ours alone (`small_images='shrink_filter'`, the eval's default).
- Inception forward images/s (uint8 32 px -> 299, pool3 + logits): ours vs torchvision's `inception_v3` with the
  same bilinear resize to 299 and the same batch, torch using every CPU thread.

    pip install -e '.[bench]'
    python benchmarks/metrics_speed.py [--pairs 256] [--inception_batch 25,50,100]

Where torchmetrics is installed, its `multiscale_structural_similarity_index_measure` (the PyTorch user's MS-SSIM,
normalize='relu' as TF) is a second MS-SSIM alternative, with its largest difference from ours on correlated pairs.
On a GPU (JAX's backend 'gpu', torch.cuda available) everything runs there, inputs already on the device, torch in
full float32 (TF32 off) as our metrics are ('highest'); TensorFlow is then left out (it would run on the CPU).
`--ms_ssim_chunks 8,64,256` also times our MS-SSIM at those `pairs_per_chunk`.

The Inception networks have random weights of the real shapes (the real file cannot be downloaded here; speed does
not depend on the values). First calls (compilation) are excluded; each MS-SSIM figure is the best of 3. Inception
against torchvision is timed in `--inception_rounds` rounds, each the medians of 4 calls a side in interleaved halves
(`vs_pytorch.interleaved`), and reported as the medians over the rounds with every round's ratio (`ratio_rounds`):
torchvision's rate moved by about 10% between runs here. Reported, not
asserted. On a CPU, ours is also timed compiled with XLA's default options instead of `xla_cpu.metric_options()`
(the `ours_xla_defaults` field), which shows what those options buy. Each Inception row also has the forward's work
as XLA counts it (`gflop_per_image`), the rate each side sustains on it (`ours_gflops`, `theirs_gflops`) and the rate
of one 2048x2048 float32 matmul on each side (`gemm_gflops_*`), the machine's practical peak.
"""

import argparse
import functools
import importlib.util
import os
import sys
import time
import types

import jax
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'tests'))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import record  # noqa: E402
import torch_side  # noqa: E402
import vs_pytorch  # noqa: E402

from aegan import xla_cpu  # noqa: E402
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


def ms_ssim_alternatives(device):
    """{name: fn(a, b) -> [B] numpy} for the MS-SSIM implementations installed here, of [B, H, W, C] numpy pairs."""
    alternatives = {}
    if device != 'cuda':
        try:
            import tensorflow as tf

            def tf_ms_ssim(a, b):
                a, b = tf.constant(a), tf.constant(b)  # converted outside the timing, as ours are device_put
                return lambda: tf.image.ssim_multiscale(a, b, 255.0).numpy()

            alternatives[f'tf.image.ssim_multiscale {tf.__version__}'] = tf_ms_ssim
        except ImportError:
            pass
    try:
        import torch
        import torchmetrics
        from torchmetrics.functional.image import multiscale_structural_similarity_index_measure as tm_ms_ssim
    except ImportError:
        return alternatives

    def torchmetrics_ms_ssim(a, b):
        a, b = (torch.from_numpy(x).permute(0, 3, 1, 2).contiguous().to(device) for x in (a, b))
        score = lambda: tm_ms_ssim(a, b, data_range=255.0, reduction='none', normalize='relu').cpu().numpy()
        return torch_side.synchronized(device, score)

    alternatives[f'torchmetrics {torchmetrics.__version__} MS-SSIM ({device})'] = torchmetrics_ms_ssim
    return alternatives


def ms_ssim_with_xla_defaults(a, b):
    """Ours compiled with XLA's default options instead of `xla_cpu.metric_options()`: what the options buy."""
    filters = tuple(ms_ssim._scale_filters(a.shape[1], a.shape[2], len(ms_ssim.POWER_FACTORS), 11, 1.5, 'error'))
    static = (255.0, ms_ssim.POWER_FACTORS, filters, 0.01, 0.03, ms_ssim.default_pairs_per_chunk())
    return lambda: np.asarray(ms_ssim._ms_ssim.jitted(xla_defaults=True)(a, b, *static))


def options_note(ours, defaults):
    return f" (with XLA's default options {defaults:,.1f}: the options' gain {ours / defaults:.2f}x)"


def ms_ssim_rows(pairs, rng, device, chunks):
    rows = []
    alternatives = ms_ssim_alternatives(device)
    for size in (176, 256):
        a = rng.uniform(0, 255, (pairs, size, size, 3)).astype(np.float32)
        b = np.clip(a + rng.normal(0, 40, a.shape), 0, 255).astype(np.float32)  # correlated: MS-SSIM well above 0
        a_dev, b_dev = jax.device_put(a), jax.device_put(b)
        ours_fn = lambda a=a_dev, b=b_dev, chunk=None: np.asarray(ms_ssim.ms_ssim(a, b, 255.0, pairs_per_chunk=chunk))
        ours = pairs / timed(ours_fn)
        ours_values = ours_fn()
        defaults = pairs / timed(ms_ssim_with_xla_defaults(a_dev, b_dev)) if xla_cpu.metric_options() else None
        note = options_note(ours, defaults) if defaults else ''
        for chunk in chunks:
            rate = pairs / timed(functools.partial(ours_fn, chunk=chunk))
            print(f'MS-SSIM {size}x{size}x3, {pairs} pairs, pairs_per_chunk {chunk}: ours {rate:,.0f} pairs/s')
            rows.append(dict(what='ms_ssim_chunk', size=size, pairs=pairs, chunk=chunk, ours=rate))
        if not alternatives:
            print(f'MS-SSIM {size}x{size}x3, {pairs} pairs: ours {ours:,.0f} pairs/s{note}', flush=True)
            rows.append(dict(what='ms_ssim', size=size, pairs=pairs, ours=ours, ours_xla_defaults=defaults))
        for name, make in alternatives.items():
            theirs_fn = make(a, b)
            theirs = pairs / timed(theirs_fn)
            difference = float(np.max(np.abs(theirs_fn() - ours_values)))
            print(
                f'MS-SSIM {size}x{size}x3, {pairs} pairs: ours {ours:,.0f} pairs/s, {name} {theirs:,.0f} pairs/s '
                f'-> {ours / theirs:.2f}x (largest difference {difference:.1e}){note}',
                flush=True,
            )
            rows.append(
                dict(what='ms_ssim', size=size, pairs=pairs, ours=ours, theirs=theirs, ratio=ours / theirs)
                | dict(ours_xla_defaults=defaults)
                | dict(alternative=name, max_abs_difference=difference)
            )
    for size in (28, 32, 64):
        a, b = (jax.device_put(rng.uniform(0, 255, (pairs, size, size, 3)).astype(np.float32)) for _ in range(2))
        ours = pairs / timed(lambda a=a, b=b: np.asarray(ms_ssim.ms_ssim(a, b, 255.0, small_images='shrink_filter')))
        print(f'MS-SSIM {size}x{size}x3 (shrink_filter; TF cannot), {pairs} pairs: ours {ours:,.0f} pairs/s')
        rows.append(dict(what='ms_ssim_small', size=size, pairs=pairs, ours=ours))
    return rows


def inception_rows(batches, rng, torchvision, device, inception_rounds, gemm):
    rows = []
    from test_inception import make_fake_state_dict

    from aegan.metrics.convert_inception import convert

    variables = inception.nest_variables(convert(make_fake_state_dict()))
    features = lambda images: inception.features_of(variables, images)
    if torchvision is not None:
        import torch

        net = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False).eval().to(device)

        def theirs(images):
            with torch.no_grad():
                x = torch.from_numpy(images).to(device).permute(0, 3, 1, 2).float()
                x = torch.nn.functional.interpolate(x, size=(299, 299), mode='bilinear', align_corners=False)
                return net((x - 128.0) / 128.0)

    plain = inception.features_of.jitted(xla_defaults=True)  # what xla_cpu's options buy
    for batch in batches:
        images = rng.integers(0, 256, (batch, 32, 32, 3), dtype=np.uint8)
        ours_call = lambda images=images: jax.block_until_ready(features(images))
        gflop = forward_gflop(variables, images) / batch
        row = dict(what='inception', batch=batch, gflop_per_image=gflop)
        if torchvision is None:
            row.update(ours=batch / timed(ours_call))
        else:
            theirs_call = torch_side.synchronized(device, lambda images=images: theirs(images))
            ours_call(), theirs_call()  # compile / warm up
            # Interleaved rounds: on the shared 2-core machine torchvision's rate moved by about 10% between runs.
            ours_s, theirs_s, round_ratios = vs_pytorch.interleaved_rounds(ours_call, theirs_call, inception_rounds, 4)
            row.update(
                ours=batch / ours_s,
                theirs=batch / theirs_s,
                ratio=theirs_s / ours_s,
                ratio_rounds=round_ratios,
                alternative=f'torchvision {torchvision.__version__} inception_v3',
                theirs_gflops=gflop * batch / theirs_s,
                gemm_gflops_ours=gemm['ours'],
                gemm_gflops_theirs=gemm['theirs'],
            )
        row.update(ours_gflops=gflop * row['ours'])
        line = f'Inception 32x32 uint8 -> 299, batch {batch}: ours {row["ours"]:,.1f} images/s'
        line += f' ({row["ours_gflops"]:.0f} GFLOPS)'
        if xla_cpu.metric_options():
            defaults = batch / timed(lambda images=images: jax.block_until_ready(plain(variables, images)))
            line += options_note(row['ours'], defaults)
            row.update(ours_xla_defaults=defaults)
        if 'ratio' in row:
            line += (
                f', torchvision {torchvision.__version__} inception_v3 {row["theirs"]:,.1f} images/s '
                f'({row["theirs_gflops"]:.0f} GFLOPS) -> {row["ratio"]:.2f}x (medians of {inception_rounds} '
                'interleaved rounds; the rounds ' + ', '.join(f'{r:.2f}x' for r in row['ratio_rounds']) + ')'
            )
        print(line, flush=True)
        rows.append(row)
    return rows


def forward_gflop(variables, images) -> float:
    """XLA's count of the floating-point operations of one compiled Inception forward (resize included), in GFLOP.

    The same count serves both sides: torchvision's network does the same convolutions. With it and the machine's
    matmul rate (`vs_pytorch.gemm_gflops`) the row says how close to the machine's peak each side runs."""
    return vs_pytorch.compiled_flops(inception.features_of.jitted(), variables, images) / 1e9


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--pairs', type=int, default=256)
    parser.add_argument('--inception_batch', default='25,50,100')
    parser.add_argument('--inception_rounds', type=int, default=3, help='interleaved rounds against torchvision')
    parser.add_argument('--skip', default='', help='comma-separated: ms_ssim, inception')
    parser.add_argument('--ms_ssim_chunks', default='', help='comma-separated pairs_per_chunk values to time too')
    parser.add_argument('--out', default=record.default_path(__file__), help='the JSON of the figures')
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f'JAX {jax.__version__} on {jax.default_backend()} ({jax.device_count()} device(s)), {os.cpu_count()} CPUs')
    # torchvision before TensorFlow, also with --skip inception (torchmetrics imports it): the other order segfaults
    # in torchvision's import (PyTorch 2.14.1, TensorFlow 2.21).
    torchvision = import_torchvision()
    # where torch runs, full float32 as our metrics ('highest'); None without torch
    device = torch_side.device(tf32=False) if importlib.util.find_spec('torch') else None
    # The machine's matmul rate, the Inception rows' yardstick; first, before TensorFlow has run anything.
    with jax.default_matmul_precision('highest'):  # full float32, as the metrics and torch here
        gemm = vs_pytorch.gemm_gflops(device, steps=20) if torchvision is not None else {}
    rows = []
    if 'ms_ssim' not in args.skip:
        rows += ms_ssim_rows(args.pairs, rng, device, [int(c) for c in args.ms_ssim_chunks.split(',') if c])
    if 'inception' not in args.skip:
        batches = [int(b) for b in args.inception_batch.split(',')]
        rows += inception_rows(batches, rng, torchvision, device, args.inception_rounds, gemm)
    record.write(args.out, rows)


if __name__ == '__main__':
    main()
