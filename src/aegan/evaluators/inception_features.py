"""Inception-v3 pool3 features and logits of images, and the real data's FID reference statistics (cached)."""

import os
import zipfile

import numpy as np
from absl import logging

from aegan import reference_data, runs
from aegan.batching import apply_in_chunks
from aegan.evaluators import caches
from aegan.images import to_uint8
from aegan.metrics import fid as fid_lib
from aegan.metrics import inception as inception_lib

WEIGHTS_ENV = 'AEGAN_INCEPTION_WEIGHTS'
INCEPTION_CHUNK = 100  # images per call of the Inception network


def load_inception(path: str) -> dict:
    """`inception.load_variables`, with a file that is not a whole .npz (a copy cut short) named in one line."""
    try:
        return inception_lib.load_variables(path)
    except (zipfile.BadZipFile, EOFError) as error:
        raise ValueError(
            f'{path} is damaged, not a whole .npz ({type(error).__name__}: {error}); it may be a truncated copy. '
            'Copy it again, or convert it again: python -m aegan.metrics.convert_inception '
            '--input=pt_inception-2015-12-05-6726825d.pth --output=inception_2015_12_05.npz.'
        ) from None


def inception_features(weights_path: str, parts) -> dict:
    """{'pool3', 'logits_unbiased'} of images in [-1, 1] given as an iterable of [n, H, W, 3] arrays, read one at a
    time (so that a 50,000-image reference is never in memory as images), quantised to uint8 as a PNG would be."""
    variables = load_inception(weights_path)
    features = [
        apply_in_chunks(inception_lib.features_of, variables, to_uint8(part), INCEPTION_CHUNK, jit=False)
        for part in parts
    ]
    return {k: np.concatenate([f[k] for f in features]) for k in ('pool3', 'logits_unbiased')}


def reference_features(path, run: runs.Run, weights_path, sha, n, cache_dir):
    """(mu, sigma, features or None) of the real data: from `path`, or computed from rows [0, n) of the reference
    stream (read in chunks) and cached, once per dataset config, n and Inception weights."""
    if path:
        with np.load(path) as f:
            mu, sigma = fid_lib.load_statistics(path)
            return mu, sigma, f['features'] if 'features' in f.files else None
    name = f'fid_stats_{run.dataset.name}_{n}_{caches.reference_key(run.config, n, sha)}.npz'
    cache = os.path.join(os.path.expanduser(cache_dir), name)
    if not os.path.exists(cache):
        logging.info('Inception features of %d reference images of %s, cached as %s.', n, run.dataset.name, cache)
        features = inception_features(weights_path, reference_data.chunks(run.dataset, 0, n))['pool3']
        mu, sigma = fid_lib.feature_statistics(features)
        # Evals of a study's seeds share this file now: each writes a whole one under its own name, then renames.
        caches.write_once(cache, lambda f: np.savez(f, mu=mu, sigma=sigma, features=features), mode='wb')
    with np.load(cache) as f:
        return f['mu'], f['sigma'], f['features']
