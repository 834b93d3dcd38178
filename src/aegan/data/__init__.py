"""Datasets by name. Every dataset hands out the batch of a given step as a pure function of (seed, step), cut to
the rows of the calling process, so a resumed run (or one on another number of processes or devices) sees exactly
the batches an uninterrupted one would.

    DATASETS = {'ring8': ..., 'grid25': ..., 'mnist': ..., 'stacked_mnist': ..., 'cifar10': ..., 'celeb_a': ...}
"""

from aegan.data import mixtures, mnist, tfds_images
from aegan.data.dataset import Dataset

DATASETS = {
    'ring8': mixtures.ring8,
    'grid25': mixtures.grid25,
    'mnist': mnist.mnist,
    'stacked_mnist': mnist.stacked_mnist,
    'cifar10': tfds_images.cifar10,
    'celeb_a': tfds_images.celeb_a,
}


def get_dataset(data_config) -> Dataset:
    """Builds the dataset named by `data_config.name`; raises ValueError listing the valid names."""
    if data_config.name not in DATASETS:
        raise ValueError(f'Unknown data.name={data_config.name!r}; valid choices: {sorted(DATASETS)}.')
    return DATASETS[data_config.name](data_config)


__all__ = ['DATASETS', 'Dataset', 'get_dataset']
