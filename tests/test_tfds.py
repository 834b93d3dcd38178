"""The TFDS path on tiny real TFDS datasets (the real builders' ArrayRecord output): features, per-process rows,
exact resumption, the CelebA crop, full-MNIST source, clear errors, and `aegan.train` end to end."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image

from aegan import configs, data
from aegan.data import synthetic_tfds, tfds_images

NUM_TRAIN = 64  # conftest's tfds_data_dir
# Compiling the 4-net alpha-GAN step dominates a few-step run; without XLA's optimisations it takes ~2 s instead of
# ~14 s (measured), and both runs being compared use it.
FAST_COMPILE = {'JAX_DISABLE_MOST_OPTIMIZATIONS': 'true'}


def data_config(name, data_dir, **overrides):
    config = configs.base_config().data
    config.name, config.data_dir = name, data_dir
    config.num_threads = 2
    for key, value in overrides.items():
        config[key] = value
    return config


def raw_records(name, data_dir, split='train'):
    return tfds.builder(name, data_dir=data_dir, file_format='array_record').as_data_source(split=split)


def test_cifar10_has_the_real_features_and_labels(tfds_data_dir):
    dataset = data.get_dataset(data_config('cifar10', tfds_data_dir))
    assert dataset.shape == (32, 32, 3) and dataset.info['num_train_examples'] == NUM_TRAIN
    raw = raw_records('cifar10', tfds_data_dir, 'test')
    np.testing.assert_array_equal(dataset.test_data, np.stack([r['image'] for r in raw]) / np.float32(127.5) - 1)
    np.testing.assert_array_equal(dataset.info['test_labels'], [r['label'] for r in raw])
    assert dataset.test_data.dtype == np.float32  # the values: exactly the raw bytes / 127.5 - 1, above


def test_celeb_a_is_the_centre_108_crop_resized_to_64(tfds_data_dir):
    dataset = data.get_dataset(data_config('celeb_a', tfds_data_dir, crop=108))
    assert dataset.shape == (64, 64, 3) and dataset.test_data.shape == (32, 64, 64, 3)
    image = raw_records('celeb_a', tfds_data_dir, 'test')[0]['image']
    assert image.shape == (218, 178, 3)
    # (218 - 108) / 2 = 55 rows and (178 - 108) / 2 = 35 columns cut from each side.
    expected = np.asarray(Image.fromarray(image[55:163, 35:143]).resize((64, 64), Image.BILINEAR))
    np.testing.assert_array_equal(dataset.test_data[0], expected / np.float32(127.5) - 1)
    with pytest.raises(ValueError, match='data.crop=300 is larger than the 218x178 images'):
        data.get_dataset(data_config('celeb_a', tfds_data_dir, crop=300))


def image_keys(batch):
    return [row.tobytes() for row in np.asarray(batch)]


def test_process_rows_tile_the_global_batch_and_resume_exactly(tfds_data_dir):
    dataset = data.get_dataset(data_config('cifar10', tfds_data_dir))
    batch_size = 16
    reference = [dataset.global_batch(0, step, batch_size) for step in range(6)]
    for processes in (1, 2, 4):
        # Each process's stream, started at step 0 or resumed at step 3, gives its rows of the global batches.
        for start in (0, 3):
            streams = [dataset.batches(0, start, batch_size, p, processes, False) for p in range(processes)]
            for step in range(start, 6):
                rows = np.concatenate([next(s) for s in streams])
                np.testing.assert_array_equal(rows, reference[step])
    # Epochs: 64 records / 16 per batch = 4 steps per epoch; every record exactly once, reshuffled each epoch.
    epoch0 = sum((image_keys(b) for b in reference[:4]), [])
    assert len(set(epoch0)) == NUM_TRAIN
    records = np.stack([r['image'] for r in raw_records('cifar10', tfds_data_dir)]) / np.float32(127.5) - 1
    assert set(epoch0) == set(image_keys(records))
    assert image_keys(reference[4]) != epoch0[:batch_size]
    assert not np.array_equal(dataset.global_batch(1, 0, batch_size), reference[0])  # the seed matters


def test_seeds_and_epochs_never_share_their_order(tfds_data_dir):
    """Three epochs of two seeds: each epoch is every record once, in the order keyed by (seed, epoch), and no two
    of the six orders coincide (Grain's shuffle(seed).repeat() gave seed 0's epoch 1 = seed 1's epoch 0)."""
    dataset = data.get_dataset(data_config('cifar10', tfds_data_dir))
    batch_size, steps_per_epoch = 16, NUM_TRAIN // 16
    records = np.stack([r['image'] for r in raw_records('cifar10', tfds_data_dir)]) / np.float32(127.5) - 1
    orders = {}
    for seed in (0, 1):
        for epoch in range(3):
            steps = range(epoch * steps_per_epoch, (epoch + 1) * steps_per_epoch)
            orders[seed, epoch] = np.concatenate([dataset.global_batch(seed, step, batch_size) for step in steps])
    assert len({tuple(image_keys(order)) for order in orders.values()}) == len(orders)
    for (seed, epoch), order in orders.items():
        np.testing.assert_array_equal(order, records[tfds_images.epoch_permutation(seed, epoch, NUM_TRAIN)])


def test_labelled_stream_carries_cifar_labels(tfds_data_dir):
    dataset = data.get_dataset(data_config('cifar10', tfds_data_dir))
    batch = next(dataset.batches(0, 2, 8, 1, 2, labelled=True))
    assert batch['image'].shape == (4, 32, 32, 3) and batch['label'].dtype == np.int32
    np.testing.assert_array_equal(batch['label'], dataset.global_labels(0, 2, 8)[4:])
    with pytest.raises(ValueError, match="'celeb_a' has no labels"):
        data.get_dataset(data_config('celeb_a', tfds_data_dir)).batches(0, 0, 8, 0, 1, labelled=True)


def test_full_mnist_source_feeds_mnist_and_stacked_mnist(tfds_data_dir):
    mnist = data.get_dataset(data_config('mnist', tfds_data_dir, source='tfds'))
    raw = raw_records('mnist', tfds_data_dir, 'test')
    np.testing.assert_array_equal(mnist.test_data, np.stack([r['image'] for r in raw]) / np.float32(127.5) - 1)
    stacked = data.get_dataset(data_config('stacked_mnist', tfds_data_dir, source='tfds'))
    assert stacked.global_batch(0, 0, 5).shape == (5, 28, 28, 3)
    with pytest.raises(
        ValueError, match=r"Unknown data.source='hdf5' for mnist; valid choices: \['embedded', 'tfds'\]"
    ):
        data.get_dataset(data_config('mnist', tfds_data_dir, source='hdf5'))


def test_the_mode_counter_trains_on_full_mnist_with_source_tfds(tfds_data_dir, tmp_path):
    """experiments/classifier_mnist.py --config.data.source=tfds: the counter's recipe on TFDS MNIST, then used as
    --classifier, whose accuracy is measured on TFDS MNIST's held-out digits (not the embedded ones)."""
    import jax

    from aegan import trainer
    from aegan.evaluators import mode_counter

    config = configs.mnist_counter_config()
    config.data.source, config.data.data_dir, config.data.num_threads = 'tfds', tfds_data_dir, 2
    config.num_train_steps = config.checkpoint_every_steps = config.sample_every_steps = 3
    workdir = str(tmp_path / 'counter')
    trainer.train_and_evaluate(config, workdir, devices=jax.devices()[:1])
    counter = mode_counter.mnist_counter(workdir, str(tmp_path / 'cache'))
    mnist = data.get_dataset(data_config('mnist', tfds_data_dir, source='tfds'))
    labels = mnist.info['test_labels']
    assert counter.path == workdir
    assert counter.accuracy == np.mean(counter.probabilities(mnist.test_data).argmax(-1) == labels)
    assert not os.path.exists(tmp_path / 'cache')  # the package's own counter was not trained


def test_tfrecord_prepared_data_gets_the_conversion_command(tmp_path):
    synthetic_tfds.write('cifar10', str(tmp_path), num_train=8, num_test=4, file_format='tfrecord')
    with pytest.raises(ValueError) as error:
        data.get_dataset(data_config('cifar10', str(tmp_path)))
    assert 'no random access' in str(error.value)
    assert f'tfds convert_format --dataset_version_dir={tmp_path}/cifar10/3.0.2 --out_file_format=array_record' in str(
        error.value
    )


def train(repo, workdir, tfds_data_dir, dataset, steps, *overrides):
    command = [
        sys.executable,
        '-m',
        'aegan.train',
        f'--config=tests/configs/tiny.py:alphagan,{dataset}',
        f'--workdir={workdir}',
        f'--config.data.data_dir={tfds_data_dir}',
        f'--config.num_train_steps={steps}',
        '--config.checkpoint_every_steps=2',
        '--config.batch_size=8',
        *overrides,
    ]
    env = {**os.environ, 'JAX_NUM_CPU_DEVICES': '2', **FAST_COMPILE}
    result = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_train_binary_reads_tfds_and_resumes_bit_identically(repo, tmp_path, tfds_data_dir):
    from test_checkpointing import assert_trees_identical, load_state

    train(repo, tmp_path / 'straight', tfds_data_dir, 'cifar10', 6)
    train(repo, tmp_path / 'resumed', tfds_data_dir, 'cifar10', 2)
    result = train(repo, tmp_path / 'resumed', tfds_data_dir, 'cifar10', 6)
    assert f'Resumed from {tmp_path}/resumed/checkpoints/2' in result.stderr
    resumed = load_state(tmp_path / 'resumed', 6)
    assert resumed['batch_stats']['discriminator']  # BatchNorm nets: their running statistics are compared too
    assert_trees_identical(resumed, load_state(tmp_path / 'straight', 6))
    assert os.listdir(tmp_path / 'straight' / 'images')


def test_train_binary_trains_on_tfds_celeb_a(repo, tmp_path, tfds_data_dir):
    """CelebA through the binary (its 64 px nets and pictures). Its resumption is not rerun here: the TFDS stream and
    the trainer are the code CIFAR-10's test above resumes bit-identically."""
    train(repo, tmp_path / 'run', tfds_data_dir, 'celeb_a', 2)
    assert os.path.isdir(tmp_path / 'run' / 'checkpoints' / '2') and os.listdir(tmp_path / 'run' / 'images')


def test_failed_download_keeps_the_preparation_hint(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise ConnectionError('no route to host')

    monkeypatch.setattr(tfds.download.DownloadManager, 'download_and_extract', offline)
    with pytest.raises(FileNotFoundError) as error:
        data.get_dataset(data_config('cifar10', str(tmp_path), download=True))
    text = str(error.value)
    assert "Downloading 'cifar10'" in text and 'no route to host' in text
    assert "file_format='array_record').download_and_prepare()" in text
