"""aegan: a JAX/Flax experiment framework for autoencoder GANs (α-GAN and the family it is compared with)."""

import pathlib

from setuptools import find_packages, setup

HERE = pathlib.Path(__file__).parent


def requirements(name: str) -> list[str]:
    lines = (HERE / name).read_text().splitlines()
    return [line.split('#')[0].strip() for line in lines if line.split('#')[0].strip()]


setup(
    name='aegan',
    version='0.1.0',
    description='Autoencoder GANs (alpha-GAN, AAE, AGE, VAE, DCGAN, WGAN-GP) in JAX/Flax',
    python_requires='>=3.11',
    package_dir={'': 'src'},
    packages=find_packages('src'),
    install_requires=requirements('requirements.txt'),
    extras_require={
        'test': requirements('requirements-test.txt'),
        'bench': requirements('requirements-bench.txt'),
        'parity': requirements('requirements-parity.txt'),
    },
)
