"""The JSON each benchmark writes beside what it prints (benchmarks/results/<script>.json): its command, date,
machine and rows. benchmarks/readme_table.py builds the README's Benchmarks table from these files, and
tests/test_readme.py checks that the README holds exactly that table, so no figure there is typed by hand."""

import datetime
import json
import os
import platform
import sys

import jax

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'results')


def default_path(script: str) -> str:
    return os.path.join(RESULTS, os.path.splitext(os.path.basename(script))[0] + '.json')


def machine() -> str:
    """'x86_64 AMD EPYC, 2 CPUs, cpu x 1', or with the accelerator's name: '..., gpu x 1 (NVIDIA H200)'.

    The CPU's model is part of it: the ratios depend on the machine, and a record that does not name its CPU cannot be
    told apart from a rerun on another one (benchmarks/README.md, "Which machine").
    """
    text = f'{platform.machine()}{cpu_model()}, {os.cpu_count()} CPUs, {jax.default_backend()} x {jax.device_count()}'
    return text if jax.default_backend() == 'cpu' else f'{text} ({jax.devices()[0].device_kind})'


def cpu_model() -> str:
    """' AMD EPYC' (the first 'model name' of /proc/cpuinfo, with a space before it), or '' where there is none."""
    try:
        with open('/proc/cpuinfo') as f:
            names = [line.split(':', 1)[1].strip() for line in f if line.startswith('model name')]
    except OSError:
        names = []
    return f' {names[0]}' if names else ''


def write(path: str, rows: list[dict], **versions) -> None:
    """Writes {'command', 'date', 'machine', 'versions', 'rows'} atomically to `path`."""
    devices = os.environ.get('JAX_NUM_CPU_DEVICES')  # part of the command where it was set: it changes the result
    record = {
        'command': (f'JAX_NUM_CPU_DEVICES={devices} ' if devices else '')
        + 'python '
        + ' '.join([os.path.relpath(sys.argv[0]), *sys.argv[1:]]),
        'date': datetime.date.today().isoformat(),
        'machine': machine(),
        'versions': {'jax': jax.__version__, **versions},
        'rows': rows,
    }
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path + '.tmp', 'w') as f:
        json.dump(record, f, indent=1)
    os.replace(path + '.tmp', path)
    print(f'Wrote {path}')
