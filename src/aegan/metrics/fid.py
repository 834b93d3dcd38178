"""FID and KID on feature vectors (Inception pool3, or any feature extractor), and reference statistics files.

FID (TTUR / pytorch-fid, docs/metrics.md): d^2 = |mu1 - mu2|^2 + Tr(S1 + S2 - 2 sqrt(S1 S2)), with
np.cov's ddof=1 covariance. sqrtm is scipy's; if it is not finite, eps * I is added to both covariances (the
documented fallback, also taken when N <= dim makes a covariance singular); an imaginary part above 1e-3 on the
diagonal is an error, as in pytorch-fid. KID (Binkowski et al. 2018; docs/metrics.md): unbiased MMD^2 with the kernel
(x.y / d + 1)^3, mean and std over random subsets.
"""

import os

import numpy as np
import scipy.linalg
from absl import logging


def feature_statistics(features) -> tuple[np.ndarray, np.ndarray]:
    features = np.asarray(features, np.float64)
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6) -> float:
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    sigma1, sigma2 = np.atleast_2d(sigma1).astype(np.float64), np.atleast_2d(sigma2).astype(np.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(
            f'Statistics of different dimension: mu {mu1.shape} vs {mu2.shape}, sigma {sigma1.shape} '
            f'vs {sigma2.shape}. Were the reference statistics computed with the same features?'
        )
    diff = mu1 - mu2
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():
        logging.warning("FID: sqrtm(S1 S2) is singular; adding %g to the covariances' diagonals.", eps)
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(f'FID: sqrtm has an imaginary component {np.max(np.abs(covmean.imag)):.3g}.')
        covmean = covmean.real
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def fid_from_features(features1, features2) -> float:
    return frechet_distance(*feature_statistics(features1), *feature_statistics(features2))


def kernel_inception_distance(features1, features2, num_subsets: int = 100, subset_size: int = 1000, seed: int = 2020):
    """Returns (mean, std) of the unbiased polynomial-kernel MMD^2 over `num_subsets` subsets drawn without
    replacement (subset_size capped at the smaller set), as torch-fidelity's defaults (RandomState(2020))."""
    x, y = np.asarray(features1, np.float64), np.asarray(features2, np.float64)
    m = min(subset_size, len(x), len(y))
    if m < 2:
        raise ValueError('KID needs at least 2 samples in each set.')
    d = x.shape[1]
    rng = np.random.RandomState(seed)
    values = []
    for _ in range(num_subsets):
        a = x[rng.choice(len(x), m, replace=False)]
        b = y[rng.choice(len(y), m, replace=False)]
        k_aa, k_bb, k_ab = ((a @ a.T) / d + 1) ** 3, ((b @ b.T) / d + 1) ** 3, ((a @ b.T) / d + 1) ** 3
        mmd = (k_aa.sum() - np.trace(k_aa) + k_bb.sum() - np.trace(k_bb)) / (m * (m - 1)) - 2 * k_ab.mean()
        values.append(mmd)
    return float(np.mean(values)), float(np.std(values))


def save_statistics(path: str, mu, sigma, **info) -> None:
    """Writes `mu`, `sigma` (and any extra arrays/strings) atomically to `path` (.npz)."""
    tmp = path + '.tmp.npz'
    np.savez(tmp, mu=mu, sigma=sigma, **info)
    os.replace(tmp, path)


def load_statistics(path: str) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path) as f:
        if 'mu' not in f or 'sigma' not in f:
            raise ValueError(f'{path} has keys {sorted(f.keys())}; FID reference statistics need `mu` and `sigma`.')
        return f['mu'], f['sigma']
