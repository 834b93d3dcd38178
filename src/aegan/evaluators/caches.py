"""The eval's caches: files computed once and shared by every eval of a dataset (reference statistics, the real-data
floor, precision/recall's radii), keyed by what changes their content, each written whole or not at all."""

import hashlib
import json
import os
from collections.abc import Callable

import jax
import numpy as np

from aegan import filesystem, reference_data

CACHE_ENV = 'AEGAN_CACHE_DIR'  # where reference statistics and the mode counter go (default ~/.cache/aegan)
CACHE_MOVE = f'set {CACHE_ENV} (or --cache_dir) to a writable directory'  # where else the caches can go


def default_cache_dir() -> str:
    return os.environ.get(CACHE_ENV) or '~/.cache/aegan'


# Data keys that change *where* or *how fast* the data is read, never which images: not part of the cache key.
_READ_ONLY_KEYS = ('data_dir', 'download', 'num_threads', 'prefetch_batches')


def reference_key(config, n: int, sha: str, **draw) -> str:
    """A digest of everything that changes the reference images or their features: the whole data config (name,
    source, crop, ...) but where it is read from, the reference stream (reference_data.py), n and the weights; not
    the run's seed. `draw` adds what else picks the images (e.g. the real-data floor's eval seed)."""
    data_config = {k: v for k, v in config.data.to_dict().items() if k not in _READ_ONLY_KEYS}
    stream = {'seed': reference_data.REFERENCE_SEED, 'read_chunk': reference_data.READ_CHUNK}
    key = {'data': data_config, 'split': 'train', 'stream': stream, 'num_images': n, 'weights_sha256': sha, **draw}
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:16]


def write_once(path: str, write: Callable[[object], None], mode: str = 'w'):
    """Calls `write(file)` on a file of this process's own, then renames it to `path`: a killed eval leaves no half
    file, and evals writing the same entry at once each write a whole one."""
    partial = f'{path}.{os.getpid()}.tmp'
    with filesystem.writing(f'writing the eval cache {os.path.dirname(path)}', CACHE_MOVE):
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(partial, mode) as f:
                write(f)
            os.replace(partial, path)
        finally:
            if os.path.exists(partial):  # a full disk: no half file left behind
                os.remove(partial)


def cached_json(path: str, compute: Callable[[], dict]) -> dict:
    """The JSON at `path`, or `compute()` written there first (atomically, `write_once`)."""
    if not os.path.exists(path):
        value = compute()
        write_once(path, lambda f: json.dump(value, f))
    with open(path) as f:
        return json.load(f)


def cached_radii(path: str, compute: Callable[[], dict]) -> dict:
    """{k: [N] radii} of real features (prdc.knn_radii) from the .npz at `path`, or `compute()` saved there first:
    every eval of a study compares its samples with the same real features, whose radii take about a quarter of PRDC's
    distance blocks (docs/metrics.md)."""
    if not os.path.exists(path):
        radii = compute()
        write_once(path, lambda f: np.savez(f, **{f'k{k}': v for k, v in radii.items()}), mode='wb')
    with np.load(path) as f:
        return {int(name[1:]): f[name] for name in f.files}


def weights_sha256(state) -> str:
    """sha256 of a network's parameters and BatchNorm statistics: what its outputs depend on, so a retrained
    classifier in the same workdir does not reuse numbers cached with the old one."""
    digest = hashlib.sha256()
    for leaf in jax.tree.leaves((state.params, state.batch_stats)):
        digest.update(np.ascontiguousarray(jax.device_get(leaf)).tobytes())
    return digest.hexdigest()
