"""What the sample count does to IS, FID and KID: the first N samples of one eval against the same reference.

    python -m aegan.eval --checkpoint=W --metrics=inception_score,fid,kid --save_features --cache_dir=C
    python benchmarks/fid_vs_n.py W/eval_<step>_inception.npz C/fid_stats_<dataset>_<n>_<key>.npz

Reads the samples' pool3 and logits the eval saved (--save_features) and the reference it cached, so Inception runs
once however many counts are compared. FID is biased upward at small N (its covariance estimate has N - 1 degrees of
freedom); KID is unbiased, so only its spread changes. Writes benchmarks/results/fid_vs_n.json.
"""

import argparse

import numpy as np
import record

from aegan.metrics import fid as fid_lib
from aegan.metrics import inception_score as inception_score_lib

COUNTS = (1000, 2000, 5000, 10_000, 20_000, 50_000)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('features', help="an eval's <name>_inception.npz (aegan.eval --save_features)")
    parser.add_argument('reference', help='the fid_stats_*.npz the eval cached (mu, sigma, features)')
    parser.add_argument('--counts', type=int, nargs='+', default=COUNTS)
    parser.add_argument('--out', default=record.default_path(__file__))
    args = parser.parse_args()
    with np.load(args.features) as f:
        pool3, logits = f['pool3'], f['logits_unbiased']
    with np.load(args.reference) as f:
        mu, sigma, real = f['mu'], f['sigma'], f['features']
    rows = []
    for n in (n for n in args.counts if n <= len(pool3)):
        score, score_std = inception_score_lib.inception_score(logits[:n], splits=10)
        kid, kid_std = fid_lib.kernel_inception_distance(pool3[:n], real)
        fid = fid_lib.frechet_distance(*fid_lib.feature_statistics(pool3[:n]), mu, sigma)
        row = dict(num_samples=n, reference_images=len(real), fid=fid, kid=kid, kid_std=kid_std)
        rows.append({**row, 'is': score, 'is_std': score_std})
        print(f'N {n:>6}: FID {fid:10.4f}  KID {kid:.5f} ± {kid_std:.5f}  IS {score:.4f} ± {score_std:.4f}', flush=True)
    record.write(args.out, rows)


if __name__ == '__main__':
    main()
