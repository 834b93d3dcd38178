"""Adversarial autoencoder on the 5x5 grid of Gaussians (PacGAN placements: {-4,-2,0,2,4}^2, std 0.05).

    python -m aegan.train --config=experiments/aae_grid25.py --workdir=/tmp/aae_grid25
    python -m aegan.train --config=experiments/aae_grid25.py:pacgan --workdir=/tmp/aae_grid25_pacgan

Expected: eval/modes and eval/high_quality_fraction in the log; 5 seeds in results/grid25/results.md.
L2 reconstruction and the three-phase update (reconstruction, C, E) of Makhzani et al. (docs/
methods.md); prior N(0, I) and the code discriminator of alpha-GAN (MLP, no BatchNorm).
"""

from aegan.configs import adam, experiment


def get_config(protocol=''):
    config = experiment('aae', 'grid25', adam(5e-4, 0.5, 0.9, 'cosine'), protocol)
    config.aae = dict(reconstruction='l2', prior_std=1.0)
    return config
