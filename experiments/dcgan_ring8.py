"""DCGAN on the ring of 8 Gaussians (PacGAN placements: radius 1, std 0.01).

    python -m aegan.train --config=experiments/dcgan_ring8.py --workdir=/tmp/dcgan_ring8
    python -m aegan.train --config=experiments/dcgan_ring8.py:pacgan --workdir=/tmp/dcgan_ring8_pacgan

Expected: eval/modes and eval/high_quality_fraction in the log; 5 seeds in results/ring8/results.md.
Non-saturating loss (Goodfellow et al.; Radford et al. nets).
"""

from aegan.configs import adam, experiment


def get_config(protocol=''):
    config = experiment('dcgan', 'ring8', adam(5e-4, 0.5, 0.9, 'cosine'), protocol)
    # PacGAN's code steps D and G together, from one forward pass at the same weights (ALI's `ali_algorithm`).
    config.dcgan = dict(updates='simultaneous' if protocol == 'pacgan' else 'alternating')
    return config
