"""Adversarial autoencoder on the ring of 8 Gaussians (PacGAN placements: radius 1, std 0.01).

    python -m aegan.train --config=experiments/aae_ring8.py --workdir=/tmp/aae_ring8
    python -m aegan.train --config=experiments/aae_ring8.py:pacgan --workdir=/tmp/aae_ring8_pacgan

Expected: eval/modes and eval/high_quality_fraction in the log; 5 seeds in results/ring8/results.md.
L2 reconstruction and the three-phase update (reconstruction, C, E) of Makhzani et al. (docs/
methods.md); prior N(0, I) and the code discriminator of alpha-GAN (MLP, no BatchNorm).
"""

from aegan.configs import adam, experiment


def get_config(protocol=''):
    config = experiment('aae', 'ring8', adam(5e-4, 0.5, 0.9, 'cosine'), protocol)
    config.aae = dict(reconstruction='l2', prior_std=1.0)
    return config
