"""Precision, recall, density and coverage of samples against real data, in any feature space (docs/metrics.md).

Each set's manifold is the union of balls around its points, each ball's radius the distance to the point's k-th
nearest neighbour in its own set (the point itself excluded).

- Improved precision and recall (Kynkäänniemi et al. 2019, k = 3): precision = share of samples inside the real
  manifold, recall = share of real points inside the sample manifold. A point is inside when its distance to some
  centre is <= that centre's radius (their code's `<=`).
- Density and coverage (Naeem et al. 2020, k = 5): density = (1 / kM) sum over samples of the number of real balls
  that contain it (about 1 when samples follow the data; outliers among the real points inflate precision, not
  density); coverage = share of real points whose own ball contains a sample. Strict `<`, as their `prdc` package.

Recall and coverage are the label-free mode-collapse measures: a generator that drops part of the data leaves
those real points uncovered. All distances are Euclidean, computed as |a|^2 - 2 a.b + |b|^2 in float32 (the
references' formula), compared squared (the same order as the distances themselves), with every point's |a|^2
computed once per set: computed inside each block, next to the matmul, it took XLA:CPU a quarter of the block's time
(docs/metrics.md). Work is done in blocks of `chunk` rows: within one set, `chunk x chunk` blocks over i <= j only
(the distance matrix is symmetric, so each block gives neighbour candidates to its rows and to its columns; 55 blocks
instead of 100 for 10,000 points), memory O(chunk^2); across the two sets, `chunk` real rows against every sample,
memory O(chunk x M).
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from aegan.batching import padded_chunks

CHUNK = 1024  # rows of one distance block; [CHUNK, N] float32 is 200 MB at N = 50,000
PRECISION_RECALL_K = 3  # Kynkäänniemi et al. 2019
DENSITY_COVERAGE_K = 5  # Naeem et al. 2020


def _squared_distances(a, a_squared_norms, b, b_squared_norms):
    ab = jnp.matmul(a, b.T, precision=jax.lax.Precision.HIGHEST)
    return jnp.maximum(a_squared_norms[:, None] - 2.0 * ab + b_squared_norms[None, :], 0.0)


@jax.jit
def _squared_norms(points):
    return jnp.sum(points * points, axis=1)


@functools.partial(jax.jit, static_argnames='k')
def _nearest_in_block(rows, row_norms, columns, column_norms, k):
    """The k smallest squared distances of each row to the block's columns, and of each column to its rows."""
    distances = _squared_distances(rows, row_norms, columns, column_norms)
    return -jax.lax.top_k(-distances, k)[0], -jax.lax.top_k(-distances.T, k)[0]


def knn_radii(points, ks: tuple[int, ...], chunk: int = CHUNK) -> dict:
    """{k: [N] squared distance of each point to its k-th nearest other point} for every k in `ks`, in one pass over
    the blocks i <= j of the distance matrix; each row's max(ks) + 1 nearest candidates (itself among them, at
    distance 0) are merged on the host."""
    points = np.asarray(points, np.float32)
    n = len(points)
    if not 1 <= max(ks) < n:
        raise ValueError(f'k={max(ks)} nearest neighbours need more than k points; got {n}.')
    nearest = max(ks) + 1
    chunk = min(chunk, n)
    blocks = [(jnp.asarray(rows), keep) for rows, keep in padded_chunks(points, chunk)]
    # A padding row's norm is +inf: its distance to anything is +inf, so it is never a neighbour.
    norms = [_squared_norms(rows).at[keep:].set(jnp.inf) for rows, keep in blocks]
    candidates = [[] for _ in blocks]
    for i, (rows, _) in enumerate(blocks):
        for j in range(i, len(blocks)):
            of_rows, of_columns = _nearest_in_block(rows, norms[i], blocks[j][0], norms[j], min(nearest, chunk))
            candidates[i].append(np.asarray(of_rows))
            if j != i:
                candidates[j].append(np.asarray(of_columns))
    sorted_candidates = np.concatenate(
        [
            np.sort(np.concatenate(found, axis=1), axis=1)[:keep]
            for found, (_, keep) in zip(candidates, blocks, strict=True)
        ]
    )
    return {k: sorted_candidates[:, k] for k in ks}


@jax.jit
def _cross_block(real_rows, real_norms, precision_radii, density_radii, fake, fake_norms, recall_radii):
    """A block of real points against every sample. Per sample: is it in a real ball (precision, <=), in how many
    (density, <). Per real point: is it in a sample ball (recall, <=), does its own ball hold a sample (coverage, <)."""
    distances = _squared_distances(real_rows, real_norms, fake, fake_norms)  # [rows, M]
    return (
        jnp.any(distances <= precision_radii[:, None], axis=0),
        jnp.sum(distances < density_radii[:, None], axis=0, dtype=jnp.int32),
        jnp.any(distances <= recall_radii[None, :], axis=1),
        jnp.min(distances, axis=1) < density_radii,
    )


def prdc(
    real,
    fake,
    k_precision_recall: int = PRECISION_RECALL_K,
    k_density_coverage: int = DENSITY_COVERAGE_K,
    chunk: int = CHUNK,
    real_radii: dict | None = None,
) -> dict:
    """{'precision', 'recall', 'density', 'coverage'} of samples `fake` [M, d] against `real` [N, d] features, from
    three passes over distance blocks: real-real (both radii), sample-sample, real-sample.

    `real_radii`, `knn_radii(real, (k_precision_recall, k_density_coverage))` computed earlier, skips the first pass:
    an eval compares the same real features with every checkpoint's samples (evaluators.py caches them)."""
    real, fake = np.asarray(real, np.float32), np.asarray(fake, np.float32)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f'Features must be [N, d] and [M, d] with the same d; got {real.shape} and {fake.shape}.')
    k_pr, k_dc = k_precision_recall, k_density_coverage
    if real_radii is None:
        real_radii = knn_radii(real, (k_pr, k_dc), chunk)
    elif any(k not in real_radii or np.shape(real_radii[k]) != (len(real),) for k in (k_pr, k_dc)):
        shapes = {k: np.shape(v) for k, v in real_radii.items()}
        raise ValueError(
            f'real_radii must be knn_radii(real, ({k_pr}, {k_dc})): [{len(real)}] radii for k = {k_pr} and {k_dc}; '
            f'got shapes {shapes}.'
        )
    recall_radii = jnp.asarray(knn_radii(fake, (k_pr,), chunk)[k_pr])
    fake_device = jnp.asarray(fake)
    fake_norms = _squared_norms(fake_device)
    in_real = np.zeros(len(fake), bool)
    counts = np.zeros(len(fake), np.int64)
    recalled, covered = [], []
    chunk = min(chunk, len(real))
    radii = np.stack([real_radii[k_pr], real_radii[k_dc]], axis=1)
    for (rows, keep), (row_radii, _) in zip(padded_chunks(real, chunk), padded_chunks(radii, chunk), strict=True):
        row_radii = row_radii.copy()
        row_radii[keep:] = -1.0  # padding rows: a negative radius holds nothing and covers nothing
        rows = jnp.asarray(rows)
        block = _cross_block(
            rows, _squared_norms(rows), row_radii[:, 0], row_radii[:, 1], fake_device, fake_norms, recall_radii
        )
        hit, count, inside_fake, cover = (np.asarray(a) for a in block)
        in_real |= hit
        counts += count
        recalled.append(inside_fake[:keep])
        covered.append(cover[:keep])
    return {
        'precision': float(in_real.mean()),
        'recall': float(np.concatenate(recalled).mean()),
        'density': float(counts.sum() / (k_dc * len(fake))),
        'coverage': float(np.concatenate(covered).mean()),
    }
