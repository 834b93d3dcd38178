"""Test set-up: 4 fake CPU devices (before JAX initialises), so the data-parallel paths run for real."""

import os
import pathlib
import sys

os.environ.setdefault('JAX_PLATFORMS', 'cpu')
os.environ['JAX_NUM_CPU_DEVICES'] = '4'

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


assert jax.device_count() == 4, 'JAX was initialised before conftest could ask for 4 CPU devices.'
