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

# Each method's networks, by role: what a study needs to know without building one (e.g. has it a data discriminator).
METHOD_NETS = {
    name: module.NETS
    for name, module in dict(
        alphagan=alphagan, ae=ae, vae=vae, dcgan=dcgan, wgan_gp=wgan_gp, aae=aae, age=age, classifier=classifier
    ).items()
}


def get_method(config, data_shape) -> Method:
    """Builds `config.method`; raises ValueError listing the valid names."""
    if config.method not in METHODS:
        raise ValueError(f'Unknown method={config.method!r}; valid choices: {sorted(METHODS)}.')
    return METHODS[config.method](config, data_shape)


__all__ = ['METHODS', 'METHOD_NETS', 'Method', 'TrainState', 'get_method']
