"""Methods by name: `METHODS[name](config, data_shape) -> Method` (a record of pure functions)."""

from aegan.methods import aae, ae, age, alphagan, classifier, dcgan, vae, wgan_gp
from aegan.methods.api import Method, TrainState

METHODS = {
    'alphagan': alphagan.make,
    'ae': ae.make,
    'vae': vae.make,
    'dcgan': dcgan.make,
    'wgan_gp': wgan_gp.make,
    'aae': aae.make,
    'age': age.make,
    'classifier': classifier.make,  # not generative: the eval's dataset classifier
}


def get_method(config, data_shape) -> Method:
    """Builds `config.method`; raises ValueError listing the valid names."""
    if config.method not in METHODS:
        raise ValueError(f'Unknown method={config.method!r}; valid choices: {sorted(METHODS)}.')
    return METHODS[config.method](config, data_shape)


__all__ = ['METHODS', 'Method', 'TrainState', 'get_method']
