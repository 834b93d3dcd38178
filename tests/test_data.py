"""Embedded datasets: deterministic per (seed, step), split exactly across processes, with the right content."""

import numpy as np
import pytest
from ml_collections import ConfigDict

from aegan import data
from aegan.data import mixtures, mnist


def get(name):
    return data.get_dataset(ConfigDict({'name': name, 'data_dir': '', 'download': False}))


@pytest.mark.parametrize(
    'name,shape', [('ring8', (2,)), ('grid25', (2,)), ('mnist', (28, 28, 1)), ('stacked_mnist', (28, 28, 3))]
)
def test_batches_are_a_pure_function_of_seed_and_step(name, shape):
    dataset = get(name)
    a, b = dataset.global_batch(0, 7, 12), dataset.global_batch(0, 7, 12)
    assert a.shape == (12, *shape) and a.dtype == np.float32 and dataset.shape == shape
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, dataset.global_batch(0, 8, 12))
    assert not np.array_equal(a, dataset.global_batch(1, 7, 12))
    # Two processes' shares are the two halves of the one global batch.
    halves = [dataset.process_batch(0, 7, 12, i, 2) for i in range(2)]
    np.testing.assert_array_equal(np.concatenate(halves), a)


def test_mixture_placements_follow_pacgan():
    ring = mixtures.ring_centers()
    assert ring.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(ring, axis=1), 1.0, atol=1e-6)
    assert len({tuple(np.round(c, 5)) for c in ring}) == 8  # no repeated mode (linspace(0, 2π) bug)
    grid = mixtures.grid_centers()
    assert sorted(set(grid[:, 0].tolist())) == [-4, -2, 0, 2, 4] and len(grid) == 25
    samples = get('ring8').global_batch(0, 0, 10_000)
    residual = samples - ring[np.linalg.norm(samples[:, None] - ring[None], axis=-1).argmin(1)]
    np.testing.assert_allclose(residual.std(0), 0.01, rtol=0.05)
    assert get('grid25').info['std'] == 0.05 and get('ring8').info['std'] == 0.01


def test_embedded_mnist_is_the_real_5000_digits():
    train_x, train_y, test_x, test_y = mnist.load_digits()
    assert len(train_x) == 4500 and len(test_x) == 500
    assert np.bincount(test_y).tolist() == [50] * 10 and np.bincount(train_y).tolist() == [450] * 10
    assert train_x.min() == -1.0 and train_x.max() == 1.0
    # Real digits: a 1 has far less ink than an 8 on average.
    ink = lambda d: (train_x[train_y == d] > 0).mean()  # noqa: E731
    assert ink(1) < 0.7 * ink(8)


def test_stacked_mnist_channels_are_three_digits():
    dataset = get('stacked_mnist')
    train_x, *_ = mnist.load_digits()
    batch = dataset.global_batch(3, 0, 4)
    pool = train_x.reshape(len(train_x), -1)
    for image in batch:
        for c in range(3):
            assert (np.abs(pool - image[..., c].reshape(1, -1)).sum(1) == 0).any()
    assert dataset.test_data.shape == (1000, 28, 28, 3) and len(set(dataset.info['test_labels'])) > 600
