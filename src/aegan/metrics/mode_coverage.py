"""Mode coverage on 2D Gaussian mixtures (VEEGAN / PacGAN protocol, docs/methods.md).

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


CONFIDENCE = 0.9  # a digit is read confidently when the counter gives its class at least this probability


def stacked_mnist_coverage(samples: np.ndarray, digit_probabilities, num_modes: int = 1000) -> dict:
    """PacGAN's Stacked MNIST protocol (docs/metrics.md): each of the 3 channels of every [n, 28, 28, 3] sample is
    labelled by an MNIST classifier (`digit_probabilities([m, 28, 28, 1]) -> [m, 10]` class probabilities); the mode
    is the triple 100 d0 + 10 d1 + d2. Returns 'modes', 'reverse_kl' (KL(p_gen || uniform over the 1,000 modes)),
    'confident_fraction' (samples whose three digits each get probability >= CONFIDENCE: the quality number beside
    the counts, as the 2-D protocol's high-quality fraction) and the `histogram` of modes."""
    samples = np.asarray(samples)
    if samples.ndim != 4 or samples.shape[-1] != 3:
        raise ValueError(f'Stacked MNIST samples must be [n, 28, 28, 3]; got {samples.shape}.')
    probabilities = [np.asarray(digit_probabilities(samples[..., c : c + 1])) for c in range(3)]
    digits = [p.argmax(-1) for p in probabilities]
    confident = np.all([p.max(-1) >= CONFIDENCE for p in probabilities], axis=0)
    modes = 100 * digits[0] + 10 * digits[1] + digits[2]
    histogram = np.bincount(modes, minlength=num_modes)
    return {
        'modes': int((histogram > 0).sum()),
        'reverse_kl': histogram_kl(histogram),
        'confident_fraction': float(confident.mean()),
        'histogram': histogram,
    }


def histogram_kl(histogram: np.ndarray) -> float:
    """KL(p || uniform) of the normalised histogram over its len(histogram) bins (0 log 0 = 0)."""
    p = histogram[histogram > 0] / histogram.sum()
    return float(np.sum(p * np.log(p * len(histogram))))


def uniform_multinomial_kl(num_samples: int, num_modes: int = 1000, draws: int = 20, seed: int = 0) -> float:
    """Mean KL(p_hat || uniform) of `num_samples` draws from the uniform distribution over `num_modes` (seeded): the
    KL a perfect generator read by a perfect counter still shows, from sampling noise alone."""
    rng = np.random.default_rng(seed)
    return float(
        np.mean([histogram_kl(rng.multinomial(num_samples, np.full(num_modes, 1 / num_modes))) for _ in range(draws)])
    )
