"""TFDS image datasets (CIFAR-10, CelebA 64x64, full MNIST) read by random access through Grain.

Why Grain on a TFDS data source rather than tf.data: the batch of step s must be a pure function of (seed, s) so that
a resumed run, or one on another number of processes, sees exactly the batches an uninterrupted one would
(docs/methods.md). With a random-access source (`builder.as_data_source()`, ArrayRecord files) and Grain's index-based
`MapDataset`, element g of the run's stream is a fixed record, `source[permutation(seed, epoch)[g % N]]` with
epoch = g // N, so resuming at step s means starting at g = s * batch_size: nothing to checkpoint, nothing to skip
through, and no TensorFlow at training time. Each epoch's permutation is drawn from `numpy.random.default_rng([seed,
epoch])` (a hash of both, `epoch_permutation`), not from Grain's `shuffle(seed).repeat()`, which reseeds epoch e with
seed + e: there seed s at epoch e+1 reads exactly seed s+1's epoch e, so two seeds of a study would share nearly all
their data order. Each process maps only its own rows of every global batch, so it reads only its shard;
Grain's threads read and decode ahead of the step (`data.num_threads`, `data.prefetch_batches`).

The data must be prepared in ArrayRecord format (random access); anything else fails with the command to fix it.
"""

import functools
import os

import numpy as np

from aegan.data.dataset import Dataset, epoch_permutation
from aegan.images import from_uint8

# CelebA 64x64: the centre 108x108 square of the 178x218 aligned image resized to 64x64 (bilinear) — the crop of
# carpedm20/DCGAN-tensorflow (`--input_height=108 --crop`), which BEGAN and many later GAN papers reuse. AGE instead
# resizes to 64x78 and crops rows 7..71 (docs/methods.md); set data.crop to change the square's side.
CELEBA_CROP = 108
IMAGE_SIZE = {'cifar10': 32, 'celeb_a': 64, 'mnist': 28}
CHANNELS = {'cifar10': 3, 'celeb_a': 3, 'mnist': 1}
TEST_SPLIT = {'cifar10': 'test', 'celeb_a': 'test', 'mnist': 'test'}
LABEL_KEY = {'cifar10': 'label', 'mnist': 'label'}  # CelebA has attributes, not a class label.


def prepare_command(name: str, data_dir: str) -> str:
    return (
        f'python -c "import tensorflow_datasets as tfds; '
        f"tfds.builder('{name}', data_dir='{data_dir}', file_format='array_record').download_and_prepare()\""
    )


def _data_dir(data_config) -> str:
    return os.path.expanduser(data_config.get('data_dir') or os.environ.get('TFDS_DATA_DIR') or '~/tensorflow_datasets')


def data_source(name: str, data_config, split: str):
    """The TFDS random-access source of `split`; prepares it only when data.download=True, else a clear error."""
    import tensorflow_datasets as tfds  # Heavy import, only for the datasets that need it.

    data_dir = _data_dir(data_config)
    builder = tfds.builder(name, data_dir=data_dir)  # The prepared files' own format, whatever it is.
    hint = (
        f'On a machine with internet run\n    {prepare_command(name, data_dir)}\n'
        f'(preparing needs TensorFlow, e.g. pip install tensorflow-cpu; training does not), or copy a prepared '
        f'{name}/ folder into {data_dir}, or pass --config.data.download=True to let aegan do it.'
    )
    if not builder.is_prepared():
        if not data_config.get('download', False):
            raise FileNotFoundError(f'TFDS dataset {name!r} is not prepared in data.data_dir={data_dir!r}. {hint}')
        try:
            builder = tfds.builder(name, data_dir=data_dir, file_format='array_record')
            builder.download_and_prepare()
        except Exception as e:  # Any network or disk failure: say what to do instead.
            raise FileNotFoundError(f'Downloading {name!r} into {data_dir!r} failed ({e}).\n{hint}') from e
    try:
        return builder.as_data_source(split=split)
    except NotImplementedError as e:  # Prepared as TFRecord (tf.data only): no random access.
        raise ValueError(
            f'TFDS dataset {name!r} in {builder.data_dir} is stored as {builder.info.file_format}, which has no random '
            f'access. Convert it once (keeps the original files):\n    tfds convert_format '
            f'--dataset_version_dir={builder.data_dir} --out_file_format=array_record'
        ) from e


def center_crop_resize(image: np.ndarray, crop: int = CELEBA_CROP, size: int = 64) -> np.ndarray:
    """One uint8 HWC image -> its centre crop x crop square resized to size x size (PIL bilinear)."""
    from PIL import Image

    h, w = image.shape[:2]
    if crop > min(h, w):
        raise ValueError(f'data.crop={crop} is larger than the {h}x{w} images.')
    top, left = (h - crop) // 2, (w - crop) // 2
    square = Image.fromarray(image[top : top + crop, left : left + crop])
    return np.asarray(square.resize((size, size), Image.BILINEAR))


def make_preprocess(name: str, data_config, labelled: bool):
    """record dict -> float32 image in [-1, 1] (or {'image', 'label'} when `labelled`)."""
    crop = data_config.get('crop', CELEBA_CROP)

    def preprocess(record):
        image = record['image']
        if name == 'celeb_a':
            image = center_crop_resize(image, crop, IMAGE_SIZE[name])
        image = from_uint8(image)
        return {'image': image, 'label': np.int32(record[LABEL_KEY[name]])} if labelled else image

    return preprocess


def global_position(k: int, batch_size: int, process_index: int, process_count: int) -> int:
    """The k-th element a process reads -> its position in the run's element stream (row-major global batches)."""
    per_process = batch_size // process_count
    step, row = divmod(k, per_process)
    return step * batch_size + process_index * per_process + row


def epoch_shuffled(source, seed: int):
    """An endless random-access MapDataset: element g is `source[epoch_permutation(seed, g // N)[g % N]]`, every
    record once per epoch. Permutations are cached per epoch (a few MB for CelebA's 162,770 records)."""
    import grain

    size = len(source)
    permutation = functools.lru_cache(maxsize=4)(lambda epoch: epoch_permutation(seed, epoch, size))

    def record(g):
        epoch, i = divmod(int(g), size)
        return source[int(permutation(epoch)[i])]

    return grain.MapDataset.range(0, np.iinfo(np.int64).max // 2).map(record)


def _threaded(elements, batch_size: int, data_config):
    """Grain threads read and preprocess single elements ahead (`data.prefetch_batches` batches' worth), then batch."""
    import grain

    threads = data_config.get('num_threads', 0) or min(16, os.cpu_count() or 1)
    ahead = max(threads, data_config.get('prefetch_batches', 4) * batch_size)
    options = grain.ReadOptions(num_threads=threads, prefetch_buffer_size=ahead)
    return elements.to_iter_dataset(options).batch(batch_size, drop_remainder=True)


def streamed(name: str, data_config) -> Dataset:
    """A TFDS dataset read step by step (CIFAR-10, CelebA): only the rows of each batch a process needs."""
    import grain

    source = data_source(name, data_config, 'train')
    shape = (IMAGE_SIZE[name], IMAGE_SIZE[name], CHANNELS[name])
    labelled_data = name in LABEL_KEY

    @functools.cache
    def elements(seed: int):
        return epoch_shuffled(source, seed)

    def stream(seed, start_step, batch_size, process_index, process_count, labelled=False):
        """Iterator over this process's batches from `start_step` on (Grain threads prefetch ahead)."""
        per_process = batch_size // process_count
        records = elements(seed)
        rows = grain.MapDataset.range(start_step * per_process, np.iinfo(np.int64).max // 2)
        rows = rows.map(lambda k: records[global_position(k, batch_size, process_index, process_count)])
        rows = rows.map(make_preprocess(name, data_config, labelled))
        return iter(_threaded(rows, per_process, data_config))

    def global_batch(seed, step, batch_size, labelled=False):
        # Exactly this step's records (a stream would keep prefetching batches nobody asked for).
        rows = elements(seed)[step * batch_size : (step + 1) * batch_size]
        return read_batch(rows.map(make_preprocess(name, data_config, labelled)), data_config)

    test_source = data_source(name, data_config, TEST_SPLIT[name])
    num_test = min(len(test_source), data_config.get('num_test_examples', 10_000))
    test = read_all(test_source, num_test, make_preprocess(name, data_config, labelled_data), data_config)
    info = {'num_train_examples': len(source)}
    global_labels = None
    if labelled_data:
        test, info['test_labels'] = test['image'], test['label']
        global_labels = lambda seed, step, batch_size: global_batch(seed, step, batch_size, True)['label']
    return Dataset(
        name,
        shape,
        lambda seed, step, batch_size: global_batch(seed, step, batch_size),
        test,
        info,
        global_labels,
        stream,
    )


def read_batch(elements, data_config):
    """All of a finite MapDataset, read by Grain's threads, stacked into one batch."""
    if len(elements) == 0:
        raise ValueError('The TFDS split is empty.')
    return next(iter(_threaded(elements, len(elements), data_config)))


def read_all(source, count: int, preprocess, data_config):
    """The first `count` records of `source`, preprocessed and stacked."""
    import grain

    return read_batch(grain.MapDataset.source(source)[:count].map(preprocess), data_config)


def cifar10(data_config) -> Dataset:
    return streamed('cifar10', data_config)


def celeb_a(data_config) -> Dataset:
    return streamed('celeb_a', data_config)


def mnist_digits(data_config) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Full TFDS MNIST (60,000 train / 10,000 test) in memory, as `mnist.load_digits` returns it: at 47 MB
    every process simply holds all of it."""
    preprocess = make_preprocess('mnist', data_config, labelled=True)
    train = read_all(source := data_source('mnist', data_config, 'train'), len(source), preprocess, data_config)
    test = read_all(source := data_source('mnist', data_config, 'test'), len(source), preprocess, data_config)
    return train['image'], train['label'], test['image'], test['label']
