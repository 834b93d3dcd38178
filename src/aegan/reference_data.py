"""The real images every run of a dataset is scored against: one fixed stream, whatever the run's seed.

FID and KID compare samples with real images, precision/recall/density/coverage compare them with a real set, and
the independent critic trains on one. If that real set were drawn with the run's own seed, each seed of a study
would be scored against other images and the seed-to-seed spread would include the reference draw. So the real
reference is read from one stream of the training split, keyed by `REFERENCE_SEED`, the same for every run: rows
[0, n) of it are the reference, rows [n, 2n) a second draw where a metric needs one (the score a perfect generator
would get).

For a dataset read from disk, rows [0, N) of that stream are the whole training split (the stream is a permutation
per epoch), so the protocol reference (TTUR's FID: the 50,000 CIFAR-10 training images) is every training image; a
larger split (CelebA) gives a fixed random draw of `MAX_IMAGES`. Embedded datasets (Stacked MNIST, the 2-D mixtures)
are sampled, so theirs is a fixed draw of `MAX_IMAGES`. Rows are read `READ_CHUNK` at a time, so the images a row
holds do not depend on how many are read, and the caller's memory is bounded by the chunk.
"""

from collections.abc import Iterator

import numpy as np

from aegan.data.dataset import Dataset

# A stream no training run of a study (seeds 0, 1, ...) reads. Not 2**31 - 1: the embedded held-out sets are drawn
# from default_rng([2**31 - 1]), and SeedSequence ignores trailing zeros, so chunk 0 ([2**31 - 1, 0]) would be them.
REFERENCE_SEED = 2**31 - 2
MAX_IMAGES = 50_000  # TTUR's / Salimans et al.'s count: the whole CIFAR-10 training split
READ_CHUNK = 1000  # rows per read of the stream (a fixed grid: row r is in chunk r // READ_CHUNK whatever n is)


def protocol_size(dataset: Dataset) -> int:
    """The reference's size under the published protocol: the whole training split, capped at `MAX_IMAGES`."""
    return min(dataset.info.get('num_train_examples') or MAX_IMAGES, MAX_IMAGES)


def chunks(dataset: Dataset, start: int, stop: int) -> Iterator[np.ndarray]:
    """Rows [start, stop) of the reference stream, in pieces of at most `READ_CHUNK` rows."""
    if not 0 <= start < stop:
        raise ValueError(f'reference rows [{start}, {stop}) are not a range of rows.')
    total = dataset.info.get('num_train_examples')
    if total is not None and stop > total:
        raise ValueError(
            f'reference rows [{start}, {stop}) run past the {total:,} training images of {dataset.name!r}, so they '
            f'would repeat images: ask for at most {total:,} (--reference_images, --prdc_samples; PRDC reads 2n rows).'
        )
    for first in range(start - start % READ_CHUNK, stop, READ_CHUNK):
        batch = dataset.global_batch(REFERENCE_SEED, first // READ_CHUNK, READ_CHUNK)
        yield batch[max(start - first, 0) : stop - first]


def images(dataset: Dataset, start: int, stop: int) -> np.ndarray:
    """Rows [start, stop) of the reference stream as one array."""
    return np.concatenate(list(chunks(dataset, start, stop)))


def describe(dataset: Dataset, start: int, stop: int) -> dict:
    """What the eval JSON records of a reference: which rows of which stream, and of how large a split."""
    total = dataset.info.get('num_train_examples')
    return {
        'split': 'train',
        'rows': [start, stop],
        'num_images': stop - start,
        'split_size': total,  # None: sampled (embedded data), so the rows are a draw from an unbounded stream
        'whole_split': total is not None and start == 0 and stop == total,
        'stream_seed': REFERENCE_SEED,
        'read_chunk': READ_CHUNK,
    }
