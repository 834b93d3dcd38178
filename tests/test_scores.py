"""Inception score, FID and KID against their reference formulas (docs/metrics.md, §4)."""

import chex
import numpy as np
import pytest
import scipy.linalg

from aegan.metrics import fid, inception_score


def improved_gan_is(logits, splits):
    """The literal improved-gan formula in float64 (softmax, then part * (log part - log mean))."""
    preds = np.exp(logits - logits.max(1, keepdims=True))
    preds /= preds.sum(1, keepdims=True)
    scores = []
    for i in range(splits):
        part = preds[(i * preds.shape[0] // splits) : ((i + 1) * preds.shape[0] // splits), :]
        kl = part * (np.log(part) - np.log(np.expand_dims(np.mean(part, 0), 0)))
        scores.append(np.exp(np.mean(np.sum(kl, 1))))
    return np.mean(scores), np.std(scores)


def test_inception_score_equals_improved_gan_formula():
    logits = np.random.default_rng(0).normal(0, 3, (1003, 1008))  # N not divisible by splits
    for splits in (1, 10):
        got = inception_score.inception_score(logits, splits)
        np.testing.assert_allclose(got, improved_gan_is(logits, splits), rtol=1e-10)
    got32 = inception_score.inception_score(logits.astype(np.float32), 10)
    np.testing.assert_allclose(got32, improved_gan_is(logits, 10), rtol=1e-6)


def test_inception_score_edge_cases():
    assert inception_score.inception_score(np.zeros((100, 1008)), 10) == pytest.approx((1.0, 0.0), abs=1e-12)
    k = 7
    one_hot = np.full((700, 1008), -1e4)
    one_hot[np.arange(700), np.arange(700) % k] = 1e4  # every split uses the 7 classes evenly
    mean, std = inception_score.inception_score(one_hot, 10)
    assert mean == pytest.approx(k, rel=1e-9) and std == pytest.approx(0, abs=1e-9)
    # Logits this far apart give one-hot predictions (improved-gan's literal formula would take 0 * log 0): a split's
    # score is then exp(entropy of its argmax histogram), since KL(one_hot(c) || marginal) = -log marginal[c].
    extreme = np.random.default_rng(1).normal(0, 1e4, (50, 10))
    scores = []
    for part in np.split(extreme.argmax(1), 5):
        marginal = np.bincount(part) / len(part)
        scores.append(np.exp(-np.sum(marginal[marginal > 0] * np.log(marginal[marginal > 0]))))
    assert inception_score.inception_score(extreme, 5) == pytest.approx((np.mean(scores), np.std(scores)), rel=1e-12)


def test_inception_score_shuffle_is_seeded_and_off_by_default():
    logits = np.random.default_rng(2).normal(0, 3, (200, 20))
    logits[:100] *= 3  # the order matters for the splits
    plain = inception_score.inception_score(logits, 10)
    shuffled = inception_score.inception_score(logits, 10, shuffle_seed=2020)
    order = np.random.RandomState(2020).permutation(200)
    assert shuffled == inception_score.inception_score(logits[order], 10) and plain != shuffled
    with pytest.raises(ValueError, match='splits=0'):
        inception_score.inception_score(logits, 0)


def pytorch_fid_reference(mu1, s1, mu2, s2):
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    diff = mu1 - mu2
    return diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)


def test_fid_equals_scipy_sqrtm_formula_and_eigvals_trace():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3000, 64)) @ rng.normal(size=(64, 64))
    b = rng.normal(size=(3000, 64)) @ rng.normal(size=(64, 64)) + 0.5
    mu1, s1 = a.mean(0), np.cov(a, rowvar=False)
    mu2, s2 = b.mean(0), np.cov(b, rowvar=False)
    got = fid.fid_from_features(a, b)
    assert got == pytest.approx(pytorch_fid_reference(mu1, s1, mu2, s2), rel=1e-6)
    eig_trace = np.sqrt(np.linalg.eigvals(s1 @ s2).astype(np.complex128)).real.sum()
    torch_fidelity = (mu1 - mu2) @ (mu1 - mu2) + np.trace(s1) + np.trace(s2) - 2 * eig_trace
    assert got == pytest.approx(torch_fidelity, rel=1e-6)


def test_fid_special_cases():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(500, 8))
    assert abs(fid.fid_from_features(a, a)) < 1e-6
    shift = np.arange(8.0)
    assert fid.fid_from_features(a, a + shift) == pytest.approx(shift @ shift, rel=1e-6)
    # N < dim: rank-4 covariances. Whether or not scipy's sqrtm of the singular S1 S2 needs the eps fallback, FID is
    # within 1e-5 of the exact value, torch-fidelity's sum of the square roots of the eigenvalues of S1 S2.
    few, other = rng.normal(size=(5, 16)), rng.normal(size=(5, 16))
    mu1, s1, mu2, s2 = few.mean(0), np.cov(few, rowvar=False), other.mean(0), np.cov(other, rowvar=False)
    eig_trace = np.sqrt(np.linalg.eigvals(s1 @ s2).astype(np.complex128)).real.sum()
    exact = (mu1 - mu2) @ (mu1 - mu2) + np.trace(s1) + np.trace(s2) - 2 * eig_trace
    assert fid.fid_from_features(few, other) == pytest.approx(exact, rel=1e-5)
    with pytest.raises(ValueError, match='different dimension'):
        fid.frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))


def test_kid_equals_double_loop_formula():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(12, 5)), rng.normal(0.3, 1, size=(12, 5))
    kernel = lambda u, v: (u @ v / 5 + 1) ** 3
    m = 12
    xx = sum(kernel(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(kernel(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(kernel(x[i], y[j]) for i in range(m) for j in range(m)) / m**2
    mean, std = fid.kernel_inception_distance(x, y, num_subsets=3, subset_size=12)
    assert mean == pytest.approx(xx + yy - 2 * xy, rel=1e-10) and std == pytest.approx(0, abs=1e-12)
    same = fid.kernel_inception_distance(rng.normal(size=(2000, 5)), rng.normal(size=(2000, 5)), 10, 500)
    assert abs(same[0]) < 0.01


def test_statistics_file_round_trip(tmp_path):
    mu, sigma = np.arange(3.0), np.eye(3)
    fid.save_statistics(str(tmp_path / 'ref.npz'), mu, sigma, num_samples=10)
    got = fid.load_statistics(str(tmp_path / 'ref.npz'))
    chex.assert_trees_all_equal(tuple(got), (mu, sigma))
    np.savez(tmp_path / 'bad.npz', mean=mu)
    with pytest.raises(ValueError, match='need `mu` and `sigma`'):
        fid.load_statistics(str(tmp_path / 'bad.npz'))
