"""End to end through `train_and_evaluate`: α-GAN learns the ring, writes its outputs; every config builds."""

import glob
import os
import runpy
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from aegan import data, methods, trainer, writers
from aegan import images as images_lib
from aegan.metrics.mode_coverage import mixture_coverage


def test_alphagan_recovers_ring_modes(repo, tmp_path):
    """The fast CI version of the 3,000-step check in the README (8/8 there); the bar here is looser.

    One device: thousands of steps of 4 fake devices' all-reduces on 2 cores can starve XLA:CPU's in-process
    collective rendezvous (40 s timeout, abort); the 4-device path is covered by test_parallel.py.
    """
    config = runpy.run_path(str(repo / 'experiments' / 'alphagan_ring8.py'))['get_config']()
    config.num_train_steps = 2000
    for optimizer in config.optim.values():  # a decay to 0 over only 2,000 steps leaves 2.5% high quality (measured)
        optimizer.schedule = 'constant'
    config.log_every_steps = config.sample_every_steps = config.checkpoint_every_steps = 1000
    state = trainer.train_and_evaluate(config, str(tmp_path), devices=jax.devices()[:1])
    dataset = data.get_dataset(config.data)
    method = methods.get_method(config, dataset.shape)
    samples = np.asarray(method.sample(state, jax.random.key(123), 2500))
    coverage = mixture_coverage(samples, dataset.info['centers'], dataset.info['std'])
    assert coverage['modes'] >= 6 and coverage['high_quality_fraction'] > 0.02, coverage  # measured: 8, 10.6%
    # Reconstructions land near their inputs (the autoencoder half works).
    test = dataset.test_data[:500]
    assert np.abs(np.asarray(method.reconstruct(state, jnp.asarray(test))) - test).mean() < 0.1
    # Outputs: config, TensorBoard events, scatter PNGs, checkpoints.
    assert os.path.exists(tmp_path / 'config.json')
    assert glob.glob(str(tmp_path / 'tensorboard' / 'events.out.tfevents.*'))
    assert sorted(os.path.basename(p) for p in glob.glob(str(tmp_path / 'images' / '*.png'))) == [
        'samples_0001000.png',
        'samples_0002000.png',
        'samples_ema_0001000.png',  # the generator's moving average (config.ema), which aegan.eval reads
        'samples_ema_0002000.png',
    ]
    assert sorted(os.listdir(tmp_path / 'checkpoints')) == ['1000', '2000']


def test_image_run_writes_readable_grids_and_raw_size_tensorboard_images(tmp_path, config_factory):
    """PNGs: 28 px digits scaled x3 (nearest) with 2 px grey borders, and labelled original | reconstruction pairs;
    TensorBoard keeps the raw-size grids (it zooms itself)."""
    config = config_factory('stacked_mnist')
    config.num_train_steps, config.sample_every_steps = 4, 4
    trainer.train_and_evaluate(config, str(tmp_path))
    from PIL import Image
    from tensorboard.backend.event_processing import event_accumulator

    samples = np.asarray(Image.open(tmp_path / 'images' / 'samples_0000004.png'))
    assert samples.shape == (8 * (84 + 2) + 2, 8 * (84 + 2) + 2, 3)
    assert (samples[:2] == 128).all() and (samples[:, 86:88] == 128).all()  # the borders
    cell = samples[2:86, 2:86]
    assert (cell == cell[::3, ::3].repeat(3, 0).repeat(3, 1)).all()  # nearest-neighbour x3
    reconstructions = Image.open(tmp_path / 'images' / 'reconstructions_0000004.png')
    assert reconstructions.size[0] == 4 * (2 * 84 + 6) + 6  # 4 pairs per row
    events = event_accumulator.EventAccumulator(str(tmp_path / 'tensorboard'), size_guidance={'images': 0})
    events.Reload()
    assert {'samples', 'reconstructions'} <= set(events.Tags()['images'])
    raw = events.Images('samples')[-1]
    assert (raw.width, raw.height) == (8 * 29 + 1, 8 * 29 + 1)


def test_reconstruction_pairs_put_each_original_beside_its_reconstruction_under_a_label():
    rng = np.random.default_rng(0)
    originals, reconstructions = rng.uniform(-1, 1, (2, 6, 32, 32, 3))
    grid = writers.labelled_pairs(originals, reconstructions, pairs_per_row=4)
    scale, gap = 2, 6  # 32 px -> 64 px cells
    header = grid.shape[0] - (2 * (64 + gap) + gap)
    assert header > 8 and (grid[:header] < 100).any(), 'a header with dark text'
    for i in range(6):
        row, col = divmod(i, 4)
        top, left = header + gap + row * (64 + gap), gap + col * (2 * 64 + gap)
        for k, images in enumerate((originals, reconstructions)):
            cell = grid[top : top + 64, left + k * 64 : left + (k + 1) * 64]
            expected = images_lib.to_uint8(images[i : i + 1])[0].repeat(scale, 0).repeat(scale, 1)
            np.testing.assert_array_equal(cell, expected)


@pytest.mark.parametrize(
    'path', sorted(glob.glob(os.path.join(os.path.dirname(__file__), '..', 'experiments', '*.py')))
)
def test_every_experiment_config_builds(path):
    module = runpy.run_path(path)
    config = module['get_config']()
    name = os.path.basename(path)[: -len('.py')]
    assert name == f'{config.method}_{config.data.name}', 'experiments/ files are named <method>_<dataset>.py'
    assert f'python -m aegan.train --config=experiments/{name}.py' in module['__doc__']
    assert 'Expected:' in module['__doc__']
    shapes = {'cifar10': (32, 32, 3), 'celeb_a': (64, 64, 3)}
    shape = shapes.get(config.data.name) or data.get_dataset(config.data).shape
    method = methods.get_method(config, shape)
    state = jax.eval_shape(lambda: method.init(jax.random.key(0), jnp.zeros((1, *shape))))
    assert state.params and all(jax.tree.leaves(p) for p in state.params.values())
    assert config.batch_size % 4 == 0


def test_every_method_has_a_config_for_every_benchmark_dataset(repo):
    names = {os.path.basename(p)[: -len('.py')] for p in glob.glob(str(repo / 'experiments' / '*.py'))}
    generative = [m for m in methods.METHODS if m != 'classifier']
    expected = {f'{m}_{d}' for m in generative for d in ('ring8', 'grid25', 'stacked_mnist', 'cifar10', 'celeb_a')}
    expected |= {'classifier_mnist', 'classifier_cifar10'}
    assert expected <= names, sorted(expected - names)


def test_a_datasets_budget_is_one_edit(monkeypatch, repo):
    """configs.DATASETS holds each dataset's budget and nets: changing it there changes every method's config."""
    from aegan import configs

    monkeypatch.setitem(configs.DATASETS, 'stacked_mnist', {**configs.DATASETS['stacked_mnist'], 'num_train_steps': 7})
    paths = sorted(glob.glob(str(repo / 'experiments' / '*_stacked_mnist.py')))
    assert len(paths) == 7
    for path in paths:
        assert runpy.run_path(path)['get_config']().num_train_steps == 7, path
    with pytest.raises(ValueError, match="Unknown dataset 'svhn'; valid choices"):
        configs.experiment('dcgan', 'svhn')


def test_the_metric_writer_does_not_import_torch_and_leaves_it_importable(tmp_path):
    """tensorboardX would import torch (1.2-2.1 s at every start where it is installed); writers._torch_hidden keeps
    it out. A stand-in `torch` package on the path records its import, so this fails with or without real torch."""
    fake = tmp_path / 'site' / 'torch'
    fake.mkdir(parents=True)
    (fake / '__init__.py').write_text("import os\nopen(os.environ['TORCH_MARKER'], 'a').write('imported\\n')\n")
    marker = tmp_path / 'marker'
    script = (
        'import sys\n'
        'from aegan import writers\n'
        f'writer = writers.MetricWriter({str(tmp_path / "run")!r}, True)\n'
        "writer.write_scalars(1, {'loss': 0.5})\n"
        'writer.close()\n'
        "assert 'torch' not in sys.modules\n"
        'import torch\n'
        "print('torch after:', torch.__file__)\n"
    )
    env = {**os.environ, 'PYTHONPATH': str(tmp_path / 'site'), 'TORCH_MARKER': str(marker)}
    done = subprocess.run([sys.executable, '-c', script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f'torch after: {fake / "__init__.py"}' in done.stdout  # importable as usual once the writer exists
    assert marker.read_text() == 'imported\n'  # once: by the script, not by tensorboardX
    assert glob.glob(str(tmp_path / 'run' / 'tensorboard' / 'events.out.tfevents.*'))
