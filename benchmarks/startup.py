"""Start-up with and without the persistent compilation cache: `aegan.train` of a config for 2 steps, three times
in fresh workdirs — cache off, cache cold (empty directory), cache warm (the directory the cold run filled) — and
the wall time of each process and the first step's time that `aegan.train` logs (compilation, or loading it from the
cache, plus one update).

    python benchmarks/startup.py experiments/alphagan_stacked_mnist.py [experiments/alphagan_cifar10.py]

cifar10 and celeb_a need their TFDS data; Stacked MNIST and the 2-D mixtures run anywhere. Reported, not asserted.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import record  # noqa: E402


def run(config, workdir, cache):
    command = [
        sys.executable,
        '-m',
        'aegan.train',
        f'--config={config}',
        f'--workdir={workdir}',
        '--config.num_train_steps=2',
        '--config.sample_every_steps=1000000',
        f'--compilation_cache={cache}',
    ]
    t0 = time.perf_counter()
    log = subprocess.run(command, check=True, capture_output=True, text=True).stderr
    wall = time.perf_counter() - t0
    first_step = re.search(r'First step .*?: ([\d.]+) s', log)
    if first_step is None:
        raise SystemExit(f'aegan.train logged no first-step time:\n{log[-2000:]}')
    return wall, float(first_step.group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--out', default=record.default_path(__file__), help='the JSON of the figures')
    args = parser.parse_args()
    rows = []
    for config in args.configs:
        with tempfile.TemporaryDirectory() as root:
            cache = os.path.join(root, 'cache')
            (off, off_first), (cold, cold_first), (warm, warm_first) = (
                run(config, os.path.join(root, name), path)
                for name, path in (('off', ''), ('cold', cache), ('warm', cache))
            )
        print(
            f'{config}: 2-step aegan.train wall time, cache off {off:.1f} s, cold {cold:.1f} s, warm {warm:.1f} s '
            f'(warm saves {off - warm:.1f} s); first step {off_first:.2f} / {cold_first:.2f} / {warm_first:.2f} s',
            flush=True,
        )
        rows.append(
            dict(config=config, off_s=off, cold_s=cold, warm_s=warm)
            | dict(first_step_off_s=off_first, first_step_cold_s=cold_first, first_step_warm_s=warm_first)
        )
    record.write(args.out, rows)


if __name__ == '__main__':
    main()
