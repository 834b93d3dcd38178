"""The registry of methods: the one list of them (tests, configs, error messages and the study read it).

Each entry is a module with `NETS` (its networks, by role) and `make(config, data_shape) -> Method` (a record of
pure functions, methods/api.py). Adding a method: its module, its experiments/ configs, one line here and one
in `configs.NETWORKS` (docs/configs.md, "Adding a method"; tests/test_layout.py keeps the two equal).
"""

from aegan import ema
from aegan.methods import aae, ae, age, alphagan, classifier, dcgan, vae, wgan_gp
from aegan.methods.api import Method, TrainState

METHODS = {
    'alphagan': alphagan,
    'ae': ae,
    'vae': vae,
    'dcgan': dcgan,
    'wgan_gp': wgan_gp,
    'aae': aae,
    'age': age,
    'classifier': classifier,  # not generative: the eval's dataset classifier
}


def check_method(name: str) -> None:
    if name not in METHODS:
        raise ValueError(f'Unknown method={name!r}; valid choices: {sorted(METHODS)}.')


def nets_of(name: str) -> tuple[str, ...]:
    """A method's networks, by role, without building it (e.g. has it a data discriminator)."""
    check_method(name)
    return tuple(METHODS[name].NETS)


def get_method(config, data_shape) -> Method:
    """Builds `config.method`, with the moving average of its generator when `config.ema` asks for one (ema.py);
    raises ValueError listing the valid names."""
    check_method(config.method)
    return ema.with_ema(METHODS[config.method].make(config, data_shape), config)


__all__ = ['METHODS', 'Method', 'TrainState', 'check_method', 'get_method', 'nets_of']
