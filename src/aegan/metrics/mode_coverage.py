"""Mode coverage on 2D Gaussian mixtures (VEEGAN / PacGAN protocol, reference/methods.md §3.3).

A sample is *high quality* when its standardised distance to the nearest mode, sqrt(sum (x - mu)^2 / sigma^2), is
below `threshold` (3 std). A mode is *recovered* when at least one high-quality sample is nearest to it. The
reverse KL is KL(p_gen || uniform) over the modes, p_gen the histogram of high-quality samples' nearest modes.
"""

import numpy as np


def mixture_coverage(samples: np.ndarray, centers: np.ndarray, std: float, threshold: float = 3.0) -> dict:
    """Returns {'modes', 'high_quality_fraction', 'reverse_kl'} for [n, 2] samples."""
    samples, centers = np.asarray(samples, np.float64), np.asarray(centers, np.float64)
    distance = np.sqrt(((samples[:, None, :] - centers[None]) ** 2).sum(-1)) / std  # [n, modes]
    nearest, nearest_distance = distance.argmin(1), distance.min(1)
    good = nearest_distance < threshold
    counts = np.bincount(nearest[good], minlength=len(centers))
    if counts.sum() == 0:
        reverse_kl = float('inf')
    else:
        p = counts[counts > 0] / counts.sum()
        reverse_kl = float(np.sum(p * np.log(p * len(centers))))
    return {'modes': int((counts > 0).sum()), 'high_quality_fraction': float(good.mean()), 'reverse_kl': reverse_kl}
