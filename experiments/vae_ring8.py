"""VAE on the ring of 8 Gaussians (PacGAN placements: radius 1, std 0.01).

    python -m aegan.train --config=experiments/vae_ring8.py --workdir=/tmp/vae_ring8
    python -m aegan.train --config=experiments/vae_ring8.py:pacgan --workdir=/tmp/vae_ring8_pacgan

Expected: eval/modes and eval/high_quality_fraction in the log; 5 seeds in results/ring8/results.md.
Gaussian likelihood with fixed scale 0.05 (5x the mixture std).
"""

from aegan.configs import adam, experiment


def get_config(protocol=''):
    config = experiment('vae', 'ring8', adam(5e-4, 0.5, 0.9, 'cosine'), protocol)
    config.vae = dict(likelihood='gaussian', scale=0.05)
    return config
