"""2D mixtures of Gaussians with PacGAN's placements (docs/methods.md).

Ring: 8 modes at (cos 2πk/8, sin 2πk/8), std 0.01. Grid: 25 modes at {-4, -2, 0, 2, 4}^2, std 0.05. Samples are
drawn fresh every step (an infinite stream), which is what the 100,000-sample training sets approximate.
"""

import numpy as np

from aegan.data.dataset import Dataset, step_rng


def ring_centers(num_modes: int = 8, radius: float = 1.0) -> np.ndarray:
    # k / num_modes, not linspace(0, 2π, n): the Unrolled-GAN notebook's linspace repeats its first mode.
    angles = 2 * np.pi * np.arange(num_modes) / num_modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)


def grid_centers(side: int = 5, spacing: float = 2.0) -> np.ndarray:
    ticks = spacing * (np.arange(side) - (side - 1) / 2)
    return np.array([(x, y) for x in ticks for y in ticks], dtype=np.float32)


def _mixture(name: str, centers: np.ndarray, std: float, num_test: int) -> Dataset:
    def sample(rng, n):
        modes = rng.integers(0, len(centers), size=n)
        return (centers[modes] + std * rng.standard_normal((n, 2))).astype(np.float32)

    def global_batch(seed, step, batch_size):
        return sample(step_rng(seed, step), batch_size)

    # A fixed held-out set, from a stream no training step can draw (steps are >= 0).
    test = sample(np.random.default_rng([2**31 - 1]), num_test)
    return Dataset(name, (2,), global_batch, test, {'centers': centers, 'std': std})


def ring8(data_config) -> Dataset:
    del data_config
    return _mixture('ring8', ring_centers(), 0.01, 2500)


def grid25(data_config) -> Dataset:
    del data_config
    return _mixture('grid25', grid_centers(), 0.05, 2500)
