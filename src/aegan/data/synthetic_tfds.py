"""Writes small *real* TFDS datasets (`cifar10`, `celeb_a`, `mnist`) from synthetic raw files, offline.

TFDS's own builder for each dataset runs `download_and_prepare` as usual; only its download step is redirected to raw
files written here in the original distribution formats (CIFAR's binary batches, CelebA's zip of JPEGs plus its four
annotation text files, MNIST's idx files). The result has the real features, splits, metadata and ArrayRecord files,
so the whole loading path (`tfds_images.py`, Grain, `aegan.train`) runs on it exactly as on the real data. Used by
the tests, the input-pipeline benchmark, and by anyone who wants to try a pipeline without the download.

Needs TensorFlow (the builders read raw files with tf.io.gfile): it is a test extra.
"""

import contextlib
import gzip
import io
import os
import struct
import zipfile
from unittest import mock

import numpy as np

CELEBA_SPLITS = {'train': 0, 'validation': 1, 'test': 2}


def _cifar10_raw(raw_dir: str, rng, num_train: int, num_test: int) -> str:
    root = os.path.join(raw_dir, 'cifar-10-batches-bin')
    os.makedirs(root, exist_ok=True)

    def write(path, n):
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        pixels = rng.integers(0, 256, (n, 3 * 32 * 32), dtype=np.uint8)  # Each row: R plane, G plane, B plane.
        np.concatenate([labels[:, None], pixels], 1).tofile(path)

    per_file = np.array_split(np.arange(num_train), 5)
    for i, rows in enumerate(per_file, 1):
        write(os.path.join(root, f'data_batch_{i}.bin'), len(rows))
    write(os.path.join(root, 'test_batch.bin'), num_test)
    names = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']
    with open(os.path.join(root, 'batches.meta.txt'), 'w') as f:
        f.write('\n'.join(names) + '\n')
    return raw_dir


def _celeb_a_raw(raw_dir: str, rng, num_per_split: dict[str, int]) -> dict[str, str]:
    from PIL import Image
    from tensorflow_datasets.datasets.celeb_a import celeb_a_dataset_builder as celeb

    names = [f'{i + 1:06d}.jpg' for i in range(sum(num_per_split.values()))]
    splits = np.repeat([CELEBA_SPLITS[s] for s in num_per_split], list(num_per_split.values()))
    paths = {k: os.path.join(raw_dir, k + ('.zip' if k == 'img_align_celeba' else '.txt')) for k in celeb_files()}
    with zipfile.ZipFile(paths['img_align_celeba'], 'w') as archive:
        for name in names:
            # Smooth random faces-sized images (JPEG of pure noise is slow to write and huge).
            small = rng.integers(0, 256, (14, 12, 3), dtype=np.uint8)
            buffer = io.BytesIO()
            Image.fromarray(small).resize((178, 218), Image.BILINEAR).save(buffer, 'JPEG', quality=90)
            archive.writestr(f'img_align_celeba/{name}', buffer.getvalue())
    with open(paths['list_eval_partition'], 'w') as f:
        f.writelines(f'{name} {split}\n' for name, split in zip(names, splits))

    def table(path, headings, values):
        with open(path, 'w') as f:
            f.write(f'{len(names)}\n' + ' '.join(headings) + '\n')
            f.writelines(f'{name} ' + ' '.join(map(str, row)) + '\n' for name, row in zip(names, values))

    table(paths['list_attr_celeba'], celeb.ATTR_HEADINGS, rng.choice([-1, 1], (len(names), len(celeb.ATTR_HEADINGS))))
    table(paths['landmarks_celeba'], celeb.LANDMARK_HEADINGS, rng.integers(60, 160, (len(names), 10)))
    with open(paths['identity_celeba'], 'w') as f:
        f.writelines(f'{name} {rng.integers(1, 100)}\n' for name in names)
    return paths


def celeb_files():
    return ('img_align_celeba', 'list_eval_partition', 'list_attr_celeba', 'landmarks_celeba', 'identity_celeba')


def _idx(path: str, array: np.ndarray) -> None:
    header = struct.pack('>I', 0x0800 + array.ndim) + b''.join(struct.pack('>I', d) for d in array.shape)
    with gzip.open(path, 'wb') as f:
        f.write(header + array.astype(np.uint8).tobytes())


def _mnist_raw(raw_dir: str, rng, num_train: int, num_test: int) -> dict[str, str]:
    paths = {}
    for split, n in (('train', num_train), ('test', num_test)):
        paths[f'{split}_data'] = os.path.join(raw_dir, f'{split}-images-idx3-ubyte.gz')
        paths[f'{split}_labels'] = os.path.join(raw_dir, f'{split}-labels-idx1-ubyte.gz')
        _idx(paths[f'{split}_data'], rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        _idx(paths[f'{split}_labels'], rng.integers(0, 10, n, dtype=np.uint8))
    # The builder reads the extracted files, so hand it gunzipped copies.
    for key, path in paths.items():
        with gzip.open(path) as src, open(path[:-3], 'wb') as dst:
            dst.write(src.read())
        paths[key] = path[:-3]
    return paths


def write(
    name: str, data_dir: str, num_train: int = 64, num_test: int = 32, seed: int = 0, file_format: str = 'array_record'
) -> str:
    """Prepares TFDS `name` in `data_dir` from `num_train` / `num_test` synthetic examples; returns the dataset's
    version directory. CelebA also gets a validation split of `num_test` examples."""
    import tensorflow_datasets as tfds

    rng = np.random.default_rng(seed)
    raw_dir = os.path.join(data_dir, 'synthetic_raw', name)
    os.makedirs(raw_dir, exist_ok=True)
    patches = contextlib.ExitStack()
    if name == 'cifar10':
        raw = _cifar10_raw(raw_dir, rng, num_train, num_test)
        patches.enter_context(mock.patch.object(tfds.download.DownloadManager, 'download_and_extract', lambda *_: raw))
    elif name == 'celeb_a':
        raw = _celeb_a_raw(raw_dir, rng, {'train': num_train, 'validation': num_test, 'test': num_test})
        patches.enter_context(mock.patch.object(tfds.download.DownloadManager, 'download', lambda *_: raw))
    elif name == 'mnist':
        from tensorflow_datasets.image_classification import mnist

        raw = _mnist_raw(raw_dir, rng, num_train, num_test)
        patches.enter_context(mock.patch.object(tfds.download.DownloadManager, 'download_and_extract', lambda *_: raw))
        # The MNIST builder hard-codes 60,000 / 10,000 examples; read the synthetic files' sizes instead.
        patches.enter_context(mock.patch.object(mnist, '_TRAIN_EXAMPLES', num_train))
        patches.enter_context(mock.patch.object(mnist, '_TEST_EXAMPLES', num_test))
    else:
        raise ValueError(f'No synthetic writer for {name!r}; choose cifar10, celeb_a or mnist.')
    builder = tfds.builder(name, data_dir=data_dir, file_format=file_format)
    with patches:
        tfds.display_progress_bar(False)
        builder.download_and_prepare(download_config=tfds.download.DownloadConfig(try_download_gcs=False))
    return str(builder.data_dir)
