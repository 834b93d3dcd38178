"""AGE on CelebA 64x64 (centre 108x108 crop, resized), needs the TFDS dataset `celeb_a` in data.data_dir.

    python -m aegan.train --config=experiments/age_celeb_a.py --workdir=/tmp/age_celeb_a

Expected: a GPU-scale run (the dataset cannot be downloaded on the CPU dev machine).
mu 10, lambda 1000, 3 generator updates per encoder update, Adam 2e-4 betas (0.5, 0.999): the official
command line of Ulyanov et al. (CelebA; docs/methods.md). Their lr decay is not implemented.
"""

from aegan.configs import adam, experiment


def get_config():
    config = experiment('age', 'celeb_a', adam(2e-4, 0.5, 0.999))
    config.num_train_steps = 12_700
    config.model.z_dim = 64
    config.age = dict(mu=10.0, lam=1000.0, generator_steps=3)
    return config
