"""Study throughput: seed-steps per second of K seeds, aegan's one program against the PyTorch twin's best.

    pip install -e '.[bench]'
    python benchmarks/seeds_throughput.py [--configs experiments/alphagan_ring8.py ...] [--ks 1,2,4,8]

For each config and K:
  aegan   K seeds as one program (`parallel.shard_step(replicas=...)`, what `aegan.train --seeds` runs), once with
          each way of sharing it ('vmap', 'unroll'); K = 1 is the plain one-run step. Seed-steps/s = K / step time.
  torch   the twin (benchmarks/torch_twins.py) the two ways a PyTorch user runs K seeds: K processes side by side with
          the cores split between them (torch.set_num_threads(max(1, cores // K))), seed-steps/s = the sum of each
          process's 1 / step time while all K run; or one after another with every core, = the K = 1 rate.
Every measurement is a fresh process (so its peak resident memory is its own: for the K processes, their sum), on
random data of the dataset's shape, the median of `--steps` steps after two warm-up steps; aegan's and the twin's
measurements of one (config, K) are taken one after the other. The record's `best` compares aegan's best K (either
way) with the twin's best K (either way). Timing only: nothing is asserted.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

CONFIGS = (
    'experiments/alphagan_stacked_mnist.py',
    'experiments/dcgan_stacked_mnist.py',
    'experiments/wgan_gp_stacked_mnist.py',
    'experiments/alphagan_ring8.py',
)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(step, steps: int) -> float:
    """The median seconds of `steps` calls after two warm-up calls."""
    from vs_pytorch import median_seconds

    for _ in range(2):
        step()
    return median_seconds(step, steps)


def aegan_worker(config_path: str, k: int, replicas: str, steps: int) -> dict:
    import jax
    import jax.numpy as jnp
    from step_time import load_config_and_shape

    from aegan import methods, parallel

    config, shape = load_config_and_shape(config_path)
    mesh = parallel.make_mesh()
    method = methods.get_method(config, shape)
    init = lambda key: method.init(key, jnp.zeros((1, *shape)))  # noqa: E731
    grouped = replicas != 'none'
    rng = np.random.default_rng(0)
    if grouped:
        state = jax.jit(jax.vmap(init))(jax.random.split(jax.random.key(0), k))
        keys = jax.random.split(jax.random.key(1), k)
        batch = rng.uniform(-1, 1, (k, config.batch_size, *shape)).astype(np.float32)
    else:
        state, keys = jax.jit(init)(jax.random.key(0)), jax.random.key(1)
        batch = rng.uniform(-1, 1, (config.batch_size, *shape)).astype(np.float32)
    update = parallel.shard_step(method.update, mesh, replicas=replicas if grouped else None)
    batch = parallel.to_global_batch(batch, mesh, seed_axis=grouped)
    holder = [state]

    def step():
        holder[0], metrics = update(holder[0], batch, keys)
        jax.block_until_ready(metrics)

    start = time.perf_counter()
    step()
    compile_s = time.perf_counter() - start
    seconds = timed(step, steps)
    return {'step_ms': seconds * 1e3, 'seed_steps_per_s': k / seconds, 'compile_s': compile_s, 'rss_mb': peak_rss_mb()}


def torch_worker(config_path: str, threads: int, steps: int) -> dict:
    import runpy

    import torch
    from torch_twins import torch_twin

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    config = runpy.run_path(config_path)['get_config']()
    from step_time import SHAPES

    shape = SHAPES.get(config.data.name, (2,))
    twin = torch_twin(config, shape, 'cpu')
    x_shape = (config.batch_size, shape[2], shape[0], shape[1]) if len(shape) == 3 else (config.batch_size, *shape)
    x = torch.rand(x_shape) * 2 - 1
    seconds = timed(lambda: twin(x), steps)
    return {'step_ms': seconds * 1e3, 'seed_steps_per_s': 1 / seconds, 'rss_mb': peak_rss_mb()}


def worker_command(*args) -> list[str]:
    return [sys.executable, os.path.abspath(__file__), '--worker', *map(str, args)]


def run_workers(commands: list[list[str]]) -> list[dict]:
    """Runs the commands side by side; returns each one's JSON line."""
    processes = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands]
    results = []
    for process in processes:
        out, err = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f'worker failed: {err[-2000:]}')
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def measure(config_path: str, k: int, steps: int, cores: int) -> list[dict]:
    rows = []
    for replicas in ('none',) if k == 1 else ('vmap', 'unroll'):
        (result,) = run_workers([worker_command('aegan', config_path, k, replicas, steps)])
        rows.append({'config': config_path, 'k': k, 'side': 'aegan', 'how': replicas, **result})
    threads = max(1, cores // k)
    results = run_workers([worker_command('torch', config_path, threads, steps) for _ in range(k)])
    rows.append(
        {
            'config': config_path,
            'k': k,
            'side': 'torch',
            'how': f'{k} processes x {threads} threads',
            'step_ms': float(np.mean([r['step_ms'] for r in results])),
            'seed_steps_per_s': float(sum(r['seed_steps_per_s'] for r in results)),
            'rss_mb': float(sum(r['rss_mb'] for r in results)),
        }
    )
    for row in rows:
        print(
            f'{os.path.basename(config_path):<28} K={k} {row["side"]:<5} {row["how"]:<24} '
            f'{row["seed_steps_per_s"]:8.2f} seed-steps/s  step {row["step_ms"]:8.1f} ms  peak {row["rss_mb"]:7.0f} MB',
            flush=True,
        )
    return rows


def best(rows: list[dict]) -> list[dict]:
    """Per config: aegan's best (K, way) against the twin's best (K, way), and their ratio."""
    summary = []
    for config in dict.fromkeys(r['config'] for r in rows):
        mine = [r for r in rows if r['config'] == config]
        ours = max((r for r in mine if r['side'] == 'aegan'), key=lambda r: r['seed_steps_per_s'])
        theirs = max((r for r in mine if r['side'] == 'torch'), key=lambda r: r['seed_steps_per_s'])
        summary.append(
            {
                'config': config,
                'aegan': f'K={ours["k"]} {ours["how"]}',
                'aegan_seed_steps_per_s': ours['seed_steps_per_s'],
                'torch': f'K={theirs["k"]} {theirs["how"]}',
                'torch_seed_steps_per_s': theirs['seed_steps_per_s'],
                'ratio': ours['seed_steps_per_s'] / theirs['seed_steps_per_s'],
            }
        )
        print(
            f'{os.path.basename(config):<28} best: aegan {summary[-1]["aegan"]} {ours["seed_steps_per_s"]:.2f} '
            f'vs torch {summary[-1]["torch"]} {theirs["seed_steps_per_s"]:.2f} seed-steps/s: '
            f'{summary[-1]["ratio"]:.2f}x'
        )
    return summary


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--worker':
        side, *args = sys.argv[2:]
        if side == 'aegan':
            result = aegan_worker(args[0], int(args[1]), args[2], int(args[3]))
        else:
            result = torch_worker(args[0], int(args[1]), int(args[2]))
        print(json.dumps(result))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument('--configs', nargs='+', default=list(CONFIGS))
    parser.add_argument('--ks', default='1,2,4,8')
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--out', default=None)
    args = parser.parse_args()
    import record
    import torch

    cores = os.cpu_count()
    rows = [
        row
        for config in args.configs
        for k in map(int, args.ks.split(','))
        for row in measure(config, k, args.steps, cores)
    ]
    record.write(args.out or record.default_path(__file__), rows + best(rows), torch=torch.__version__)


if __name__ == '__main__':
    main()
