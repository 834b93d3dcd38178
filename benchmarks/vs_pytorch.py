"""α-GAN iteration time: aegan against its PyTorch twin, in one process, printing both and the ratio.

    pip install -e '.[bench]'
    python benchmarks/vs_pytorch.py experiments/alphagan_stacked_mnist.py experiments/alphagan_cifar10.py

The twin has the same four nets (DCGAN encoder and discriminator: 4x4/s2/p1 convs, BatchNorm after all but the first,
LeakyReLU 0.2, a linear head; generator: linear -> BatchNorm -> ReLU, ConvTranspose2d(4, 2, 1) stages, tanh; code
discriminator: MLP with LeakyReLU 0.2), the same widths, batch, Adam settings and the same update order as
`methods/alphagan.py` ('paper' losses): `generator_steps` E+G updates (E and G each with their own loss and
optimizer, two backward passes), then D on x / G(E(x)) / G(z) and C on z / E(x), recomputed with the updated E and G.
Random data of the dataset's shape; both sides use every CPU thread JAX does (torch.set_num_threads(os.cpu_count())).
Medians over `--steps` steps after two warm-up steps, the two sides interleaved in halves (ours, theirs, theirs, ours)
so that load on the shared machine hits both alike; the first call (compile for aegan) is reported separately.
`--processes N` runs the whole comparison N times, each in a fresh process, and reports the median time of each side
and their ratio, keeping every process's ratio (`ratio_runs`): on the 2-core machine the ratio moved between processes
far more than within one (PyTorch's stacked_mnist step took 110-124 ms in some processes and 139-148 ms in others,
benchmarks/README.md).
Timing only: nothing is asserted.

Beside the times it prints the work: the iteration's floating-point operations as XLA counts them in the compiled step
(`cost_analysis`, summed over the devices; for convolutions it leaves out the taps that fall on padding, so it
slightly undercounts), the rate each side sustains on it, and the rate one large float32 matmul reaches on each side
(`gemm_gflops`), a practical peak of the machine. Together they say how much faster than PyTorch a step could be at
all: 1.2x PyTorch needs 1.2x its sustained rate.

`--layers phases|matmul` builds aegan's nets with that `UpConv` algorithm on any backend, and `DownConv`'s input
gradient follows it (a matmul with 'matmul', XLA's convolution with 'phases'), instead of `layers.upconv_algorithm()`'s
choice ('matmul' on a CPU or GPU, 'phases' on a TPU): the same functions and parameters, another way to compute them.
The record's `layers` is the algorithm the step ran with, whichever way it was chosen.

On a GPU (JAX's default backend 'gpu' and torch.cuda available) both sides run there, PyTorch with
`cudnn.benchmark` on, and each step is waited on (block_until_ready / cuda.synchronize). `--precision` makes the
float32 arithmetic the same on both sides: 'float32' = full float32 (JAX 'highest', PyTorch TF32 off), 'tf32' = TF32
matrix units on both (JAX 'tensorfloat32', PyTorch allow_tf32 for matmul and cuDNN); on a CPU they are the same.
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from unittest import mock

import jax
import numpy as np
import record
import torch_side
from step_time import build_step, load_config_and_shape  # benchmarks/ is the script's directory
from torch_twins import torch_twin

from aegan import parallel
from aegan.nets import layers

PRECISIONS = {'float32': 'highest', 'tf32': 'tensorfloat32'}


def median_seconds(fn, steps):
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def interleaved(ours, theirs, steps):
    """(ours, theirs) seconds a call: medians of `steps // 2` calls in halves ordered ours, theirs, theirs, ours, so
    that load on the shared machine hits both sides alike."""
    a1, b1 = median_seconds(ours, steps // 2), median_seconds(theirs, steps // 2)
    b2, a2 = median_seconds(theirs, steps // 2), median_seconds(ours, steps // 2)
    return (a1 + a2) / 2, (b1 + b2) / 2


def interleaved_rounds(ours, theirs, rounds, steps):
    """`rounds` calls of `interleaved`: (ours, theirs) medians in seconds, and each round's ratio theirs / ours."""
    times = [interleaved(ours, theirs, steps) for _ in range(rounds)]
    ours_s, theirs_s = (float(np.median(side)) for side in zip(*times))
    return ours_s, theirs_s, [b / a for a, b in times]


def layer_algorithm(choice):
    """A context in which the nets are traced with `choice` for `layers.upconv_algorithm()` ('auto': unchanged)."""
    if choice == 'auto':
        return contextlib.nullcontext()
    return mock.patch.object(layers, 'upconv_algorithm', lambda: choice)


def gemm_gflops(device, n=2048, steps=10):
    """GFLOPS of one n x n float32 matmul, {'ours': XLA, 'theirs': PyTorch}, each at the precision set for the step."""
    import torch

    a = np.random.default_rng(0).standard_normal((n, n), np.float32)
    a_jax, a_torch = jax.device_put(a), torch.from_numpy(a).to(device)
    matmul = jax.jit(jax.numpy.matmul)
    ours = lambda: matmul(a_jax, a_jax).block_until_ready()
    theirs = torch_side.synchronized(device, lambda: torch.mm(a_torch, a_torch))
    ours(), theirs()
    return {side: 2 * n**3 / median_seconds(fn, steps) / 1e9 for side, fn in (('ours', ours), ('theirs', theirs))}


def compiled_flops(jitted, *args) -> float:
    """XLA's count of the floating-point operations of one call of the compiled `jitted(*args)`, per device."""
    cost = jitted.lower(*args).compile().cost_analysis()
    return (cost[0] if isinstance(cost, list) else cost)['flops']  # a list of one dict in older jaxlibs


def iteration_flops(step, *args) -> float:
    """XLA's count of the floating-point operations in one call of the data-parallel `step`, over all devices."""
    return compiled_flops(step, *args) * jax.device_count()  # the per-device program runs once on each device


def compare(config_path, steps, batch_size, precision, xla_defaults=False):
    import torch

    device = torch_side.device(tf32=precision == 'tf32')
    config, shape = load_config_and_shape(config_path, batch_size)
    batch = np.random.default_rng(0).uniform(-1, 1, (config.batch_size, *shape)).astype(np.float32)
    if device == 'cuda':  # global, because the step is traced at its first call
        jax.config.update('jax_default_matmul_precision', PRECISIONS[precision])
    options = {} if xla_defaults else parallel.step_compiler_options()
    state, step, x_jax, key = build_step(config, shape, batch, options)
    holder = {'state': state}

    def ours():
        holder['state'], metrics = step(holder['state'], x_jax, key)
        jax.block_until_ready(metrics)

    twin = torch_twin(config, shape, device)
    x_torch = torch.from_numpy(batch).permute(0, 3, 1, 2).contiguous().to(device)

    theirs = torch_side.synchronized(device, lambda: twin(x_torch))

    t0 = time.perf_counter()
    ours()
    first_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    theirs()
    first_theirs = time.perf_counter() - t0
    ours(), theirs()
    a, b = interleaved(ours, theirs, steps)
    flops = iteration_flops(step, holder['state'], x_jax, key)  # after the timings: it compiles the step again
    gemm = gemm_gflops(device)
    where = f'{device}, {precision}' if device == 'cuda' else device
    where += f', compiler options {options}' if options else ''
    where += f', layers {layers.upconv_algorithm()}'
    print(
        f'{config_path} (batch {config.batch_size}, {shape}, {where}): aegan {1e3 * a:.2f} ms/iteration '
        f'({config.batch_size / a:,.0f} images/s), PyTorch {torch.__version__} {1e3 * b:.2f} ms '
        f'({config.batch_size / b:,.0f} images/s) -> aegan is {b / a:.2f}x PyTorch; '
        f'first call {first_ours:.1f} s vs {first_theirs:.1f} s',
        flush=True,
    )
    print(
        f"  work: {flops / 1e9:.2f} GFLOP an iteration (XLA's count); aegan sustains {flops / a / 1e9:.0f} GFLOPS, "
        f'PyTorch {flops / b / 1e9:.0f}; 1.2x PyTorch would need {1.2 * flops / b / 1e9:.0f} GFLOPS, where one '
        f'2048x2048 matmul runs at {gemm["ours"]:.0f} (XLA) / {gemm["theirs"]:.0f} (PyTorch) GFLOPS',
        flush=True,
    )
    return dict(
        config=config_path,
        batch=config.batch_size,
        device=device,
        precision=precision if device == 'cuda' else 'float32',
        ours_ms=1e3 * a,
        theirs_ms=1e3 * b,
        ours_images_per_s=config.batch_size / a,
        theirs_images_per_s=config.batch_size / b,
        ratio=b / a,
        first_call_ours_s=first_ours,
        first_call_theirs_s=first_theirs,
        alternative=f'PyTorch {torch.__version__}',
        compiler_options=options,
        layers=layers.upconv_algorithm(),  # inside layer_algorithm(): the choice made, 'auto' resolved
        gflop_per_iteration=flops / 1e9,
        ours_gflops=flops / a / 1e9,
        theirs_gflops=flops / b / 1e9,
        gemm_gflops_ours=gemm['ours'],
        gemm_gflops_theirs=gemm['theirs'],
    )


def in_fresh_processes(args) -> list[dict]:
    """The comparison run `args.processes` times, each in a new process, merged: each side's median time over the
    processes, their ratio, and every process's ratio (`ratio_runs`)."""
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.processes):
            out = os.path.join(tmp, f'{i}.json')
            command = [sys.executable, __file__, *args.configs, '--steps', str(args.steps), '--layers', args.layers]
            command += ['--precision', args.precision, '--out', out]
            command += ['--batch_size', str(args.batch_size)] if args.batch_size else []
            command += ['--xla_defaults'] if args.xla_defaults else []
            subprocess.run(command, check=True)  # the environment (JAX_NUM_CPU_DEVICES, XLA_FLAGS) is inherited
            with open(out) as f:
                runs.append(json.load(f)['rows'])
    merged = []
    for rows in zip(*runs):  # the same config and precision in each process
        row = dict(rows[0])
        for field, value in row.items():
            if isinstance(value, float):
                row[field] = float(np.median([r[field] for r in rows]))
        ours_s, theirs_s = row['ours_ms'] / 1e3, row['theirs_ms'] / 1e3
        row.update(
            ratio=theirs_s / ours_s,
            ratio_runs=[r['ratio'] for r in rows],
            ours_images_per_s=row['batch'] / ours_s,
            theirs_images_per_s=row['batch'] / theirs_s,
            ours_gflops=row['gflop_per_iteration'] / ours_s,
            theirs_gflops=row['gflop_per_iteration'] / theirs_s,
        )
        print(
            f'{row["config"]} over {len(rows)} processes: aegan {row["ours_ms"]:.2f} ms, '
            f'PyTorch {row["theirs_ms"]:.2f} ms (medians) -> {row["ratio"]:.2f}x; each process: '
            + ', '.join(f'{r:.2f}x' for r in row['ratio_runs']),
            flush=True,
        )
        merged.append(row)
    return merged


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--processes', type=int, default=1, help='run the comparison in this many fresh processes')
    parser.add_argument('--batch_size', type=int, default=None)
    parser.add_argument('--precision', default='float32', help='comma-separated, on a GPU: float32, tf32')
    parser.add_argument('--xla_defaults', action='store_true', help='ours without parallel.step_compiler_options()')
    parser.add_argument(
        '--layers',
        default='auto',
        choices=('auto', *layers.UPCONV_ALGORITHMS),
        help="aegan's UpConv algorithm on any backend ('auto': layers.upconv_algorithm())",
    )
    parser.add_argument('--out', default=record.default_path(__file__), help='the JSON of the figures')
    args = parser.parse_args()
    if args.processes > 1:
        record.write(args.out, in_fresh_processes(args))
        return
    print(f'JAX {jax.__version__} on {jax.default_backend()} ({jax.device_count()} device(s)), {os.cpu_count()} CPUs')
    precisions = args.precision.split(',') if jax.default_backend() == 'gpu' else ['float32']
    with layer_algorithm(args.layers):  # the nets are traced at each step's first call, inside compare()
        rows = [
            compare(path, args.steps, args.batch_size, p, args.xla_defaults)
            for p in precisions
            for path in args.configs
        ]
    record.write(args.out, rows)


if __name__ == '__main__':
    main()
