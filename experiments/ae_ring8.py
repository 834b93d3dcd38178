"""Autoencoder on the ring of 8 Gaussians (PacGAN placements: radius 1, std 0.01).

    python -m aegan.train --config=experiments/ae_ring8.py --workdir=/tmp/ae_ring8
    python -m aegan.train --config=experiments/ae_ring8.py:pacgan --workdir=/tmp/ae_ring8_pacgan

Expected: eval/modes and eval/high_quality_fraction in the log; 5 seeds in results/ring8/results.md.
L1 reconstruction as in alpha-GAN, so the AE is alpha-GAN without its discriminators.
"""

from aegan.configs import adam, experiment


def get_config(protocol=''):
    config = experiment('ae', 'ring8', adam(5e-4, 0.5, 0.9, 'cosine'), protocol)
    config.ae = dict(reconstruction='l1')
    return config
