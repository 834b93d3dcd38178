"""Inception score from classifier logits, exactly as openai/improved-gan's `inception_score/model.py` computes it.

Per split i of the N rows (rows i*N//splits to (i+1)*N//splits, in order; no shuffle by default):
    IS_i = exp( mean_x KL( p(y|x) || p_i(y) ) ),  p_i(y) = mean of p(y|x) over the split,
reported as mean and population std (ddof=0) over the splits (docs/metrics.md). Logs come from
log_softmax in float64, so extreme logits do not give 0 * log 0 = nan (Barratt & Sharma's pitfall; docs/metrics.md).
`shuffle_seed` reproduces torch-fidelity, which permutes with RandomState(2020) first.
"""

import numpy as np
from scipy.special import log_softmax, logsumexp


def inception_score(logits, splits: int = 10, shuffle_seed: int | None = None) -> tuple[float, float]:
    """logits: [N, classes] (for the ImageNet Inception, the *unbiased* 1008-way logits). Returns (mean, std)."""
    logits = np.asarray(logits, np.float64)
    if logits.ndim != 2:
        raise ValueError(f'logits must be [N, classes]; got shape {logits.shape}.')
    n = logits.shape[0]
    if not 1 <= splits <= n:
        raise ValueError(f'splits={splits} must be between 1 and the number of samples ({n}).')
    if shuffle_seed is not None:
        logits = logits[np.random.RandomState(shuffle_seed).permutation(n)]
    log_p = log_softmax(logits, axis=1)
    scores = []
    for i in range(splits):
        part = log_p[i * n // splits : (i + 1) * n // splits]
        log_marginal = logsumexp(part, axis=0) - np.log(part.shape[0])
        kl = np.sum(np.exp(part) * (part - log_marginal), axis=1)
        scores.append(np.exp(np.mean(kl)))
    return float(np.mean(scores)), float(np.std(scores))
