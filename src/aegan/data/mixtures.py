"""2D mixtures of Gaussians with PacGAN's placements (docs/methods.md).

Ring: 8 modes at (cos 2πk/8, sin 2πk/8), std 0.01. Grid: 25 modes at {-4, -2, 0, 2, 4}^2, std 0.05.
`data.num_train_examples=0` draws fresh samples every step (an infinite stream); N > 0 draws a fixed training set
of N points from the run's seed as PacGAN's code does (N draws, resampled with replacement) and visits it in
epochs, each in its own order.
"""

import functools

import numpy as np

from aegan.data.dataset import Dataset, epoch_permutation, step_rng

_TRAIN_SET_STREAM = 2**31 - 3  # no step reaches it, nor the held-out (2**31 - 1) or reference (- 2) draws


def ring_centers(num_modes: int = 8, radius: float = 1.0) -> np.ndarray:
    # k / num_modes, not linspace(0, 2π, n): the Unrolled-GAN notebook's linspace repeats its first mode.
    angles = 2 * np.pi * np.arange(num_modes) / num_modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)


def grid_centers(side: int = 5, spacing: float = 2.0) -> np.ndarray:
    ticks = spacing * (np.arange(side) - (side - 1) / 2)
    return np.array([(x, y) for x in ticks for y in ticks], dtype=np.float32)


def _mixture(name: str, centers: np.ndarray, std: float, num_test: int, num_train: int) -> Dataset:
    if not (isinstance(num_train, int) and num_train >= 0):
        raise ValueError(f'data.num_train_examples={num_train!r} must be 0 (a fresh stream) or a positive integer.')

    def sample(rng, n):
        modes = rng.integers(0, len(centers), size=n)
        return (centers[modes] + std * rng.standard_normal((n, 2))).astype(np.float32)

    @functools.cache  # one per seed: the seeds of a group read theirs every step
    def train_set(seed):
        # PacGAN's GaussianPackingMixture: N points drawn, then resampled with replacement (about 63% distinct).
        rng = np.random.default_rng([seed, _TRAIN_SET_STREAM])
        points = sample(rng, num_train)
        return points[rng.integers(0, num_train, size=num_train)]

    @functools.lru_cache(maxsize=64)  # this epoch's and the next's order for each of up to 32 grouped seeds
    def order(seed, epoch):
        return epoch_permutation(seed, epoch, num_train)

    def global_batch(seed, step, batch_size):
        if not num_train:
            return sample(step_rng(seed, step), batch_size)
        epochs, rows = np.divmod(step * batch_size + np.arange(batch_size), num_train)
        indices = np.concatenate([order(seed, int(e))[rows[epochs == e]] for e in np.unique(epochs)])
        return train_set(seed)[indices]

    # A fixed held-out set, from a stream no training step can draw (steps are >= 0).
    test = sample(np.random.default_rng([2**31 - 1]), num_test)
    return Dataset(name, (2,), global_batch, test, {'centers': centers, 'std': std})


def ring8(data_config) -> Dataset:
    return _mixture('ring8', ring_centers(), 0.01, 2500, data_config.get('num_train_examples', 0))


def grid25(data_config) -> Dataset:
    return _mixture('grid25', grid_centers(), 0.05, 2500, data_config.get('num_train_examples', 0))
