"""DCGAN on CelebA 64x64 (centre 108x108 crop, resized), needs the TFDS dataset `celeb_a` in data.data_dir.

    python -m aegan.train --config=experiments/dcgan_celeb_a.py --workdir=/tmp/dcgan_celeb_a

Expected: a GPU-scale run (the dataset cannot be downloaded on the CPU dev machine).
Non-saturating loss (Goodfellow et al.; Radford et al. nets).
Adam 2e-4, beta1 0.5 (Radford et al. 2016).
"""

from aegan.configs import adam, experiment


def get_config():
    return experiment('dcgan', 'celeb_a', adam(2e-4, 0.5, 0.999))
