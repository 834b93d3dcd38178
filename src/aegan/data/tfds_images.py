"""TFDS image datasets (CIFAR-10, CelebA) read into memory and sampled by step, like the embedded ones.

This is the minimal real loader: it checks that the prepared dataset exists in `data.data_dir` and fails with the
exact preparation command otherwise; it never downloads unless `data.download=True`.
"""

import os

import numpy as np

from aegan.data.dataset import Dataset, step_rng

# CelebA 64x64: the DCGAN/AGE-style centre crop — a 108x108 box centred on the 178x218 aligned face, resized to 64.
CELEBA_CROP = 108


def _prepare_hint(name: str, data_dir: str) -> str:
    return (
        f'TFDS dataset {name!r} is not prepared in data.data_dir={data_dir!r}. On a machine with internet run\n'
        f'    python -c "import tensorflow_datasets as tfds; tfds.builder({name!r}, data_dir={data_dir!r})'
        f'.download_and_prepare()"\n'
        f'(or copy a prepared {name}/ folder there), or set --config.data.download=True to let aegan do it.'
    )


def _load_split(name: str, data_config, split: str, feature: str = 'image') -> np.ndarray:
    import tensorflow_datasets as tfds  # Heavy import, only for the datasets that need it.

    data_dir = os.path.expanduser(data_config.get('data_dir') or '~/tensorflow_datasets')
    builder = tfds.builder(name, data_dir=data_dir)
    if not builder.is_prepared():
        if not data_config.get('download', False):
            raise FileNotFoundError(_prepare_hint(name, data_dir))
        try:
            builder.download_and_prepare()
        except Exception as e:  # Any network or disk failure: say what to do instead.
            raise FileNotFoundError(f'Downloading {name!r} failed ({e}).\n' + _prepare_hint(name, data_dir)) from e
    source = builder.as_data_source(split=split)
    return np.stack([source[i][feature] for i in range(len(source))])


def _to_unit_range(images: np.ndarray) -> np.ndarray:
    return images.astype(np.float32) / 127.5 - 1.0


def _in_memory(name: str, train: np.ndarray, test: np.ndarray | None, labels=None) -> Dataset:
    """`labels`: (train_labels, test_labels) for labelled datasets."""

    def indices(seed, step, batch_size):
        return step_rng(seed, step).integers(0, len(train), size=batch_size)

    info, global_labels = {}, None
    if labels is not None:
        info['test_labels'] = labels[1]
        global_labels = lambda seed, step, batch_size: labels[0][indices(seed, step, batch_size)]
    return Dataset(
        name,
        train.shape[1:],
        lambda seed, step, batch_size: _to_unit_range(train[indices(seed, step, batch_size)]),
        None if test is None else _to_unit_range(test),
        info,
        global_labels,
    )


def cifar10(data_config) -> Dataset:
    split = lambda s, f='image': _load_split('cifar10', data_config, s, f)
    return _in_memory('cifar10', split('train'), split('test'), (split('train', 'label'), split('test', 'label')))


def center_crop_resize(images: np.ndarray, crop: int = CELEBA_CROP, size: int = 64) -> np.ndarray:
    from PIL import Image

    h, w = images.shape[1:3]
    top, left = (h - crop) // 2, (w - crop) // 2
    return np.stack(
        [
            np.asarray(Image.fromarray(im[top : top + crop, left : left + crop]).resize((size, size), Image.BILINEAR))
            for im in images
        ]
    )


def celeb_a(data_config) -> Dataset:
    train = center_crop_resize(_load_split('celeb_a', data_config, 'train'))
    test = center_crop_resize(_load_split('celeb_a', data_config, 'test'))
    return _in_memory('celeb_a', train, test)
