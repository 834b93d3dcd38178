"""The real reference of the metrics: the protocol's size, the whole training split where the data has one, rows that
do not depend on how many are read, and an eval whose FID is exactly that of the samples against every training
image."""

import jax
import numpy as np
import pytest
import tensorflow_datasets as tfds
from test_tfds import NUM_TRAIN, data_config, image_keys

from aegan import data, reference_data, trainer
from aegan import eval as aegan_eval
from aegan.evaluators import inception_features
from aegan.metrics import fid as fid_lib


def test_the_reference_of_a_split_on_disk_is_the_whole_split(tfds_data_dir):
    dataset = data.get_dataset(data_config('cifar10', tfds_data_dir))
    assert reference_data.protocol_size(dataset) == NUM_TRAIN
    whole = reference_data.images(dataset, 0, NUM_TRAIN)
    raw = tfds.builder('cifar10', data_dir=tfds_data_dir).as_data_source(split='train')
    records = np.stack([r['image'] for r in raw]) / np.float32(127.5) - 1
    assert sorted(image_keys(whole)) == sorted(image_keys(records))  # every training image exactly once
    described = reference_data.describe(dataset, 0, NUM_TRAIN)
    assert described['whole_split'] and described['split_size'] == NUM_TRAIN and described['num_images'] == NUM_TRAIN
    with pytest.raises(ValueError, match=r'run past the 64 training images .* would repeat images'):
        reference_data.images(dataset, 0, NUM_TRAIN + 1)  # epoch 1 of the stream: the first images again


def test_the_reference_stream_is_not_the_held_out_sets():
    """The embedded held-out sets are drawn from default_rng([2**31 - 1]), and SeedSequence drops trailing zeros, so a
    reference seed of 2**31 - 1 made the reference's first chunk (key [seed, 0]) the held-out draw itself."""
    first_chunk = np.random.default_rng([reference_data.REFERENCE_SEED, 0]).random(8)
    assert not np.array_equal(first_chunk, np.random.default_rng([2**31 - 1]).random(8))


def test_reference_rows_do_not_depend_on_how_many_are_read():
    """Stacked MNIST is sampled (with replacement): its reference is a fixed draw of 50,000, and row r holds the same
    triple whether 10 or 1,500 rows are read, so the PRDC real set is the first n rows of the FID reference."""
    dataset = data.get_dataset(data_config('stacked_mnist', None))
    assert reference_data.protocol_size(dataset) == reference_data.MAX_IMAGES == 50_000
    first = reference_data.images(dataset, 0, 1500)
    np.testing.assert_array_equal(reference_data.images(dataset, 990, 1010), first[990:1010])
    np.testing.assert_array_equal(reference_data.images(dataset, 0, 10), first[:10])
    assert [len(c) for c in reference_data.chunks(dataset, 990, 2001)] == [10, 1000, 1]
    training = np.concatenate([dataset.global_batch(seed, 0, 1000) for seed in (0, 1)])
    assert not set(image_keys(first[:1000])) & set(image_keys(training))  # not a training seed's batches
    with pytest.raises(ValueError, match=r'reference rows \[5, 2\) are not a range'):
        reference_data.images(dataset, 5, 2)


def test_fid_by_default_compares_the_samples_with_every_training_image(tmp_path):
    """A 2-step CIFAR-10 DCGAN scored with a random-valued Inception: the eval's FID is the Fréchet distance between
    its samples' pool3 statistics and those of all 16 training images of its (tiny) split, and its JSON says so."""
    import configs.tiny
    from test_inception import make_fake_state_dict

    from aegan.data import synthetic_tfds
    from aegan.metrics import convert_inception

    data_dir, n = str(tmp_path / 'tfds'), 16  # one Inception batch shape (16) for samples, reference and check
    synthetic_tfds.write('cifar10', data_dir, num_train=n, num_test=8)
    config = configs.tiny.get_config('dcgan,cifar10')
    config.data.data_dir, config.data.num_threads = data_dir, 2
    config.num_train_steps = config.checkpoint_every_steps = config.sample_every_steps = 2
    workdir = str(tmp_path / 'run')
    previous = jax.config.values['jax_disable_most_optimizations']
    jax.config.update('jax_disable_most_optimizations', True)  # the training's compile only (conftest.fast_compile)
    try:
        trainer.train_and_evaluate(config, workdir, devices=jax.devices()[:1])
    finally:
        jax.config.update('jax_disable_most_optimizations', previous)
    np.savez(tmp_path / 'torch_names.npz', **make_fake_state_dict())
    weights = str(tmp_path / 'inception.npz')
    convert_inception.convert_file(str(tmp_path / 'torch_names.npz'), weights)
    options = dict(num_samples=n, inception_weights=weights, cache_dir=str(tmp_path / 'c'), prdc_samples=6)
    metrics = ['fid', 'kid', 'precision_recall']
    result = aegan_eval.evaluate(workdir, metrics=metrics, prdc_features='inception', save_features=True, **options)
    reference = result['settings']['fid']['reference']
    assert reference['whole_split'] and reference['rows'] == [0, n] and reference['split_size'] == n
    real = result['settings']['precision_recall']['real']  # the reference's first 6 rows: not the whole split
    assert real['rows'] == [0, 6] and not real['whole_split'] and real['features'] == 'inception_pool3'
    raw = tfds.builder('cifar10', data_dir=data_dir).as_data_source(split='train')
    records = np.stack([r['image'] for r in raw]) / np.float32(127.5) - 1
    real = inception_features.inception_features(weights, [records])['pool3']
    with np.load(result['settings']['inception']['features_file']) as saved:
        assert saved['pool3'].shape == (n, 2048) and saved['logits_unbiased'].shape == (n, 1008)
        expected = fid_lib.fid_from_features(saved['pool3'], real)
    assert result['metrics']['fid'] == pytest.approx(expected, rel=1e-6)
    assert f'FID/KID reference: {n} of {n} training images, the whole training split' in '\n'.join(
        aegan_eval.report_lines(result)
    )
