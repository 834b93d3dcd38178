"""The record every dataset returns."""

import itertools
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np


class Dataset(NamedTuple):
    """A training stream plus what the evaluators need to know about the data.

    Attributes:
      name: registry name.
      shape: shape of one example, e.g. (2,) or (28, 28, 3); images are NHWC float32 in [-1, 1].
      global_batch: `global_batch(seed, step, batch_size) -> np.ndarray`, the whole global batch of a step as a
        pure function of its arguments. `process_batch` cuts it per process.
      test_data: held-out examples (array) where the dataset has them, else None.
      info: dataset facts for metrics (mixture centres and std, number of modes, `test_labels`, ...).
      global_labels: `global_labels(seed, step, batch_size)`, the labels of `global_batch`'s rows, for datasets that
        have labels (a classifier trains on them); else None.
      stream: for datasets read from disk, `stream(seed, start_step, batch_size, process_index, process_count,
        labelled) -> iterator` of this process's batches from `start_step` on, read ahead in threads (must yield
        exactly `process_batch` of each step); None: `batches` calls `process_batch` step by step.
    """

    name: str
    shape: tuple[int, ...]
    global_batch: Callable[[int, int, int], np.ndarray]
    test_data: np.ndarray | None = None
    info: dict[str, Any] = {}
    global_labels: Callable[[int, int, int], np.ndarray] | None = None
    stream: Callable[..., Iterator] | None = None

    def _require_labels(self) -> None:
        if self.global_labels is None:
            raise ValueError(f'Dataset {self.name!r} has no labels; a classifier needs a labelled dataset.')

    def batches(
        self, seed: int, start_step: int, batch_size: int, process_index: int, process_count: int, labelled: bool
    ) -> Iterator:
        """This process's batches of steps start_step, start_step + 1, ... (what the training loop consumes)."""
        if labelled:
            self._require_labels()
        if self.stream is not None:
            return self.stream(seed, start_step, batch_size, process_index, process_count, labelled)
        return (
            self.process_batch(seed, step, batch_size, process_index, process_count, labelled)
            for step in itertools.count(start_step)
        )

    def process_batch(
        self, seed: int, step: int, batch_size: int, process_index: int, process_count: int, labelled: bool = False
    ):
        """The rows of the global batch of `step` that belong to `process_index` (contiguous, equal shares);
        `{'image', 'label'}` when `labelled`."""
        per_process = batch_size // process_count
        rows = slice(process_index * per_process, (process_index + 1) * per_process)
        if not labelled:
            return self.global_batch(seed, step, batch_size)[rows]
        self._require_labels()
        return {
            'image': self.global_batch(seed, step, batch_size)[rows],
            'label': self.global_labels(seed, step, batch_size)[rows],
        }


def step_rng(seed: int, step: int) -> np.random.Generator:
    """The host-side random stream of one step (independent of process and device counts)."""
    return np.random.default_rng([seed, step])


def epoch_permutation(seed: int, epoch: int, size: int) -> np.ndarray:
    """The order of the records in one epoch: a permutation of range(size) drawn from a stream keyed by the pair
    (seed, epoch) through NumPy's SeedSequence, so no two (seed, epoch) pairs share it (unlike seed + epoch)."""
    return np.random.default_rng([seed, epoch]).permutation(size)
