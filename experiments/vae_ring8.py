"""VAE on the ring of 8 Gaussians (PacGAN placements: radius 1, std 0.01).

    python -m aegan.train --config=experiments/vae_ring8.py --workdir=/tmp/vae_ring8

Expected: one 10,000-step run; eval/modes and eval/high_quality_fraction in the log,
scatter plots in <workdir>/images. Wall time and measured numbers over 5 seeds: results/ring8/results.md.

Gaussian likelihood with fixed scale 0.05 (5x the mixture std).
Nets and optimiser are those of alphagan_ring8 (MLP 128-128, z 2, Adam 5e-4, betas (0.5, 0.9),
cosine decay to 0, batch 128, 10,000 steps) for every method, so the 2D table compares objectives, not tuning.
"""

from aegan.configs import adam, base_config


def get_config():
    config = base_config()
    config.method = 'vae'
    config.data.name = 'ring8'
    config.batch_size = 128
    config.num_train_steps = 10_000
    config.sample_every_steps = 2000
    config.checkpoint_every_steps = 2000

    config.model = dict(kind='mlp', z_dim=2, hidden=(128, 128))
    config.vae = dict(likelihood='gaussian', scale=0.05)
    config.optim = dict(encoder=adam(5e-4, 0.5, 0.9, 'cosine'), generator=adam(5e-4, 0.5, 0.9, 'cosine'))
    return config
