"""Precision/recall/density/coverage: against float64 numpy written from the papers' definitions, against the
official `prdc` package (Naeem et al.), and on data whose answer is known."""

import numpy as np
import pytest

from aegan.metrics import prdc


def numpy_prdc(real, fake, k):
    """The definitions, directly: full float64 distance matrices, k-th neighbour excluding the point itself."""
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    distance = lambda a, b: np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
    real_radii = np.sort(distance(real, real), axis=1)[:, k]  # column 0 is the point itself
    fake_radii = np.sort(distance(fake, fake), axis=1)[:, k]
    cross = distance(real, fake)  # [N, M]
    return {
        'precision': (cross <= real_radii[:, None]).any(axis=0).mean(),  # Kynkäänniemi et al.: <=
        'recall': (cross <= fake_radii[None, :]).any(axis=1).mean(),
        'density': (cross < real_radii[:, None]).sum(axis=0).mean() / k,  # Naeem et al.: <
        'coverage': (cross.min(axis=1) < real_radii).mean(),
    }


def ours(real, fake, k, chunk=prdc.CHUNK):
    return prdc.prdc(real, fake, k, k, chunk)


@pytest.mark.parametrize('k_pr, k_dc', [(3, 5), (5, 3)])  # the papers' defaults, and swapped (catches mixed radii)
@pytest.mark.parametrize('chunk', [7, 1024])  # several padded chunks, and one chunk holding everything
def test_equals_the_definitions_in_float64(k_pr, k_dc, chunk):
    rng = np.random.default_rng(k_pr)
    real = rng.normal(size=(150, 16))
    fake = rng.normal(0.15, 1.0, size=(110, 16))  # shifted: every value strictly between 0 and 1
    got = prdc.prdc(real, fake, k_pr, k_dc, chunk)
    pr, dc = numpy_prdc(real, fake, k_pr), numpy_prdc(real, fake, k_dc)
    expected = {
        'precision': pr['precision'],
        'recall': pr['recall'],
        'density': dc['density'],
        'coverage': dc['coverage'],
    }
    assert all(0.05 < expected[m] < 0.95 for m in ('precision', 'recall', 'coverage')), expected
    for metric, value in expected.items():
        assert got[metric] == pytest.approx(value, abs=1e-12), metric


def test_agrees_with_the_official_prdc_package():
    """clovaai/generative-evaluation-prdc (`pip install prdc`, v0.2): its compute_prdc on the same features.

    It uses < for all four; on continuous features no distance equals a radius, so <= and < agree."""
    official = pytest.importorskip('prdc')
    rng = np.random.default_rng(0)
    real = rng.normal(size=(300, 32)).astype(np.float32)
    fake = (rng.normal(size=(250, 32)) * 1.2 + 0.3).astype(np.float32)
    for k in (3, 5):
        expected = official.compute_prdc(real, fake, nearest_k=k)
        got = ours(real, fake, k)
        for metric in ('precision', 'recall', 'density', 'coverage'):
            assert got[metric] == pytest.approx(float(expected[metric]), abs=1e-9), (k, metric)


def two_clusters(rng, n):
    """Two unit Gaussians 50 apart in 2-D (few dimensions: with finite n, k-NN balls fill a low-dimensional
    manifold, so a sample of the data lands inside it; in 8-D, 600 points give precision ~0.85)."""
    centres = np.array([[0.0, 0.0], [50.0, 0.0]])
    return centres[np.arange(n) % 2] + rng.normal(size=(n, 2))


def test_samples_equal_to_the_data_score_one():
    real = two_clusters(np.random.default_rng(0), 400)
    got = ours(real, real.copy(), 3)
    assert got['precision'] == got['recall'] == got['coverage'] == 1.0
    assert got['density'] == pytest.approx(1.0, abs=0.15)  # each sample sits in ~k real balls: its own k neighbours'


def test_one_cluster_of_two_gives_half_recall_and_coverage_at_full_precision():
    """Mode collapse onto one of two modes: the samples are good (precision ~1) but cover half the data."""
    rng = np.random.default_rng(1)
    real = two_clusters(rng, 600)
    fake = two_clusters(rng, 1200)
    fake = fake[fake[:, 0] < 25][:500]  # only the first cluster
    pr = dc = prdc.prdc(real, fake)
    assert pr['precision'] > 0.95 and dc['density'] > 0.7
    assert pr['recall'] == pytest.approx(0.5, abs=0.03) and dc['coverage'] == pytest.approx(0.5, abs=0.03)


def test_noise_far_from_the_data_has_zero_precision():
    rng = np.random.default_rng(2)
    real = two_clusters(rng, 400)
    fake = rng.normal(size=(300, 2)) + 1000.0
    pr = dc = prdc.prdc(real, fake)
    assert pr['precision'] == 0.0 and pr['recall'] == 0.0 and dc['density'] == 0.0 and dc['coverage'] == 0.0


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match='same d'):
        prdc.prdc(np.zeros((10, 3)), np.zeros((10, 4)))
    with pytest.raises(ValueError, match='need more than k points'):
        prdc.prdc(np.random.default_rng(0).normal(size=(5, 3)), np.zeros((10, 3)))


def test_precomputed_real_radii_give_the_same_numbers_and_are_used():
    """`real_radii` (what the eval caches) replaces the real-real pass: the same numbers when they are knn_radii(real),
    different ones when they are not (so they are read, not recomputed), and a clear error when they do not fit."""
    rng = np.random.default_rng(3)
    real = rng.normal(size=(150, 16))
    fake = rng.normal(0.15, 1.0, size=(110, 16))
    radii = prdc.knn_radii(np.asarray(real, np.float32), (3, 5), 7)
    assert prdc.prdc(real, fake, 3, 5, 7, real_radii=radii) == prdc.prdc(real, fake, 3, 5, 7)
    shrunk = prdc.prdc(real, fake, 3, 5, 7, real_radii={k: v / 4 for k, v in radii.items()})
    plain = prdc.prdc(real, fake, 3, 5, 7)
    assert shrunk['precision'] < plain['precision'] and shrunk['coverage'] < plain['coverage']
    assert shrunk['recall'] == plain['recall']  # the samples' own radii
    with pytest.raises(ValueError, match=r'real_radii must be knn_radii\(real, \(3, 5\)\)'):
        prdc.prdc(real, fake, 3, 5, real_radii={3: radii[3]})
    with pytest.raises(ValueError, match=r'\[150\] radii'):
        prdc.prdc(real, fake, 3, 5, real_radii={k: v[:-1] for k, v in radii.items()})
