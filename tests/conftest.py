"""Test set-up: 4 fake CPU devices (before JAX initialises), so the data-parallel paths run for real."""

import os
import pathlib
import shutil
import sys
import tempfile

os.environ.setdefault('JAX_PLATFORMS', 'cpu')
os.environ['JAX_NUM_CPU_DEVICES'] = '4'
# Directories this process made for the run (removed when it ends); xdist's workers inherit the variables, so they
# make none and the two workers share the controller's.
MADE_HERE = []
for variable, prefix in (
    # The binaries' persistent compilation cache (compilation_cache.py): one per pytest run, not the user's home.
    ('AEGAN_COMPILATION_CACHE', 'aegan_test_jax_cache_'),
    # Reference statistics and counters the tests compute stay out of the user's ~/.cache/aegan.
    ('AEGAN_CACHE_DIR', 'aegan_test_cache_'),
):
    if variable not in os.environ:  # one the user set (to keep a cache between runs) is used and kept
        os.environ[variable] = tempfile.mkdtemp(prefix=prefix)
        MADE_HERE.append(os.environ[variable])

import jax  # noqa: E402
import pytest  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / 'tests'))


@pytest.fixture(scope='session')
def repo():
    return REPO


def tiny_config(dataset='ring8', method='alphagan'):
    from configs.tiny import get_config

    return get_config(f'{method},{dataset}')


@pytest.fixture
def config_factory():
    return tiny_config


@pytest.fixture
def fast_compile():
    """XLA with most of its optimization passes off (`jax_disable_most_optimizations`) for one test: for tests that
    compile many small programs and run each a step or two, and whose assertions are about the maths (the same
    update on 1 and 4 devices, an eval that runs), not about XLA's code. Compiling is most of their time: the
    stacked_mnist cases of tests/test_methods.py's 1-vs-4-device test took 72 s with it off and 32 s with it on.
    Every test about compiled code, speed options or the flagship's step keeps XLA's defaults."""
    previous = jax.config.values['jax_disable_most_optimizations']
    jax.config.update('jax_disable_most_optimizations', True)
    yield
    jax.config.update('jax_disable_most_optimizations', previous)


assert jax.device_count() == 4, 'JAX was initialised before conftest could ask for 4 CPU devices.'


@pytest.fixture(scope='session')
def tfds_data_dir(tmp_path_factory):
    """Tiny real TFDS datasets (the real cifar10 / celeb_a / mnist builders on synthetic raw files), ArrayRecord."""
    pytest.importorskip('tensorflow')  # TFDS's builders need it to prepare data (a test extra)
    from aegan.data import synthetic_tfds

    data_dir = str(tmp_path_factory.mktemp('tensorflow_datasets'))
    for name in ('cifar10', 'celeb_a', 'mnist'):
        synthetic_tfds.write(name, data_dir, num_train=64, num_test=32)
    return data_dir


def pytest_configure(config):
    config.addinivalue_line(
        'markers', "parity: against torch-fidelity / pytorch-fid / prdc (pip install -e '.[parity]'; tests/parity.py)"
    )


def pytest_unconfigure(config):
    for directory in MADE_HERE:
        shutil.rmtree(directory, ignore_errors=True)
