"""The Stacked MNIST mode counter: an MNIST classifier trained once per recipe into the cache (or a --classifier),
and the real-data floor it sets (what real triples score with it)."""

import hashlib
import os
import time
from collections.abc import Callable
from typing import NamedTuple

import jax
import numpy as np
from absl import logging

from aegan import checkpointing, configs, data, filesystem, locking, runs, trainer
from aegan.batching import apply_in_chunks
from aegan.data import mnist as mnist_lib
from aegan.evaluators import caches
from aegan.methods import classifier as classifier_lib
from aegan.metrics import mode_coverage as mode_coverage_lib

COUNTER_WAIT_SECONDS = 1800  # how long an eval waits for another process training the mode counter
CLASSIFIER_CHUNK = 1000  # examples per call of a classifier


class Counter(NamedTuple):
    """The Stacked MNIST mode counter, an MNIST classifier read one channel ([m, 28, 28, 1]) at a time."""

    probabilities: Callable[[np.ndarray], np.ndarray]  # -> [m, 10]
    features: Callable[[np.ndarray], np.ndarray]  # -> [m, d], its penultimate layer
    accuracy: float  # on MNIST's held-out digits
    path: str  # its workdir
    weights_sha256: str  # keys the numbers cached with it (caches.weights_sha256)


def mnist_counter(path: str | None, cache_dir: str) -> Counter:
    """The counter of workdir `path`, or the package's MNIST classifier trained once into
    `cache_dir/mnist_counter_<config hash>` (a new recipe gets a new directory, never a refused resume of the old
    one)."""
    if path is None:
        config = configs.mnist_counter_config()
        digest = hashlib.sha256(config.to_json(sort_keys=True).encode()).hexdigest()[:8]
        path = os.path.join(cache_dir, f'mnist_counter_{digest}')
        waited = 0
        while True:  # several evals (a study's parallel runs, SLURM array tasks) may ask for it at once
            try:
                with filesystem.writing(f'training the mode counter into {path}', caches.CACHE_MOVE):
                    trainer.train_and_evaluate(config, path, devices=jax.local_devices()[:1])  # resumes / returns
                break
            except locking.WorkdirInUseError:
                if waited >= COUNTER_WAIT_SECONDS:
                    raise
                logging.warning('Another process is training the mode counter into %s; waiting for it.', path)
                time.sleep(10)
                waited += 10
    counter = runs.load_classifier(path, 'mnist')
    mnist = data.get_dataset(checkpointing.load_config(path).data)
    accuracy = classifier_lib.accuracy(counter.method, counter.state, mnist.test_data, mnist.info['test_labels'])
    softmax = lambda state, x: jax.nn.softmax(counter.method.classify(state, x))
    probabilities = lambda x: apply_in_chunks(softmax, counter.state, x, CLASSIFIER_CHUNK)
    features = lambda x: apply_in_chunks(counter.method.features, counter.state, x, CLASSIFIER_CHUNK)
    return Counter(probabilities, features, accuracy, path, caches.weights_sha256(counter.state))


def cached_real_data_floor(run: runs.Run, counter: Counter, n: int, seed: int, cache_dir: str) -> dict:
    """`real_data_floor`, computed once per data config, n, seed and counter weights and cached in `cache_dir`: it
    classifies 2n real triples, at n = 26,000 as long as the samples' own count (docs/metrics.md)."""
    key = caches.reference_key(run.config, n, counter.weights_sha256, seed=seed)
    path = os.path.join(os.path.expanduser(cache_dir), f'mode_floor_{key}.json')
    return caches.cached_json(path, lambda: real_data_floor(run.dataset, counter.probabilities, n, seed))


def real_data_floor(dataset, probabilities, n: int, seed: int) -> dict:
    """The counter on `n` real Stacked MNIST images: triples of training digits (the data the generators saw) and
    triples of held-out digits. Their modes, KL and confident fraction are the best any generator can score with
    this counter; 'uniform_multinomial_kl' is the KL of n perfect draws read by a perfect counter."""
    rng = np.random.default_rng(seed)
    digits = dataset.info['held_out_digits']
    held_out = mnist_lib.stack_digits(digits, rng.integers(0, len(digits), (n, 3)))
    floor = {}
    for name, images in (('train_triples', dataset.global_batch(seed, 0, n)), ('held_out_triples', held_out)):
        coverage = mode_coverage_lib.stacked_mnist_coverage(images, probabilities)
        floor[name] = {k: coverage[k] for k in ('modes', 'reverse_kl', 'confident_fraction')}
    floor['uniform_multinomial_kl'] = mode_coverage_lib.uniform_multinomial_kl(n)
    floor['num_samples'] = n
    return floor
