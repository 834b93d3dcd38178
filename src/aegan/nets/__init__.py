"""Flax modules only (no training logic), and builders that pick them by role from `config.model`.

`model.kind='dcgan'` needs square images of 28, 32 or 64 px; `'mlp'` takes any shape (2D mixtures).
`model.discriminator_width` (default: `model.width`) sizes the data discriminator alone, so that D can be made weaker
than G as in PacGAN's "D = 1/4 G" setting (docs/methods.md, "Mode-collapse study").
"""

from aegan.nets.dcgan import NORMS, Downsampler, Generator
from aegan.nets.layers import DownConv, UpConv
from aegan.nets.mlp import MLP, ImageMLP

KINDS = ('dcgan', 'mlp')


def _check(model_config, data_shape):
    if model_config.kind not in KINDS:
        raise ValueError(f'Unknown model.kind={model_config.kind!r}; valid choices: {list(KINDS)}.')
    if model_config.kind == 'dcgan' and (len(data_shape) != 3 or data_shape[0] != data_shape[1]):
        raise ValueError(
            f"model.kind='dcgan' needs square images [H, W, C]; the data has shape {tuple(data_shape)}. "
            "Use model.kind='mlp' for vector data such as 2D mixtures."
        )
    needed = {'dcgan': 'width', 'mlp': 'hidden'}[model_config.kind]
    if needed not in model_config:
        example = 'experiments/alphagan_' + ('ring8' if model_config.kind == 'mlp' else 'cifar10') + '.py'
        raise ValueError(
            f'model.kind={model_config.kind!r} needs model.{needed}, which this config does not have (an override '
            f'cannot add a key): start from a config file whose model is {model_config.kind!r}, e.g. {example}.'
        )


def penultimate_features(module, variables, x):
    """[n, d]: the input of an encoder's linear head in eval mode (Downsampler and MLP `sow` it under
    'intermediates'; an apply that does not ask for that collection keeps nothing)."""
    _, sown = module.apply(variables, x, train=False, mutable=['intermediates'])
    return sown['intermediates']['features'][0]


def encoder(model_config, data_shape, out_dim, axis_name=None):
    """Data -> `out_dim` features (codes, or mean and log-variance)."""
    _check(model_config, data_shape)
    if model_config.kind == 'dcgan':
        return Downsampler(out_dim, data_shape[0], model_config.width, axis_name)
    return MLP(tuple(model_config.hidden), out_dim, **_mlp_style(model_config, axis_name))


def generator(model_config, data_shape, axis_name=None):
    """Codes -> data of `data_shape`."""
    _check(model_config, data_shape)
    if model_config.kind == 'dcgan':
        return Generator(data_shape[0], data_shape[2], model_config.width, axis_name)
    return ImageMLP(tuple(model_config.hidden), tuple(data_shape), **_mlp_style(model_config, axis_name))


def discriminator_width(model_config) -> int:
    """`model.discriminator_width`, or `model.width` when it is unset; checked to be a positive integer."""
    width = model_config.get('discriminator_width') or model_config.width
    if not (isinstance(width, int) and width >= 1):
        raise ValueError(
            f'model.discriminator_width={width!r} must be a positive integer (filters of the first layer).'
        )
    return width


def discriminator(model_config, data_shape, axis_name=None, norm='batch', width=None):
    """Data -> one logit (or critic value), `width` (default `discriminator_width(model_config)`) filters in the
    first conv layer. `norm` applies to the conv net only (MLPs have none)."""
    _check(model_config, data_shape)
    if model_config.kind == 'dcgan':
        width = width or discriminator_width(model_config)
        return Downsampler(1, data_shape[0], width, axis_name, norm)
    if model_config.get('discriminator_width'):
        raise ValueError(
            "model.discriminator_width applies to model.kind='dcgan'; the MLP discriminator uses "
            'model.discriminator_hidden (default: model.hidden).'
        )
    return MLP(tuple(model_config.get('discriminator_hidden', model_config.hidden)), 1, **_critic_style(model_config))


def code_discriminator(model_config):
    """Codes -> one logit; an MLP without BatchNorm, in the data discriminator's style on the 2-D nets."""
    style = _critic_style(model_config) if model_config.kind == 'mlp' else {}
    return MLP(tuple(model_config.code_disc_hidden), 1, **style)


def _mlp_style(model_config, axis_name) -> dict:
    """The encoder's and generator's layers: `model.activation`, `model.norm`, `model.init_std` (absent from
    configs written before they existed: the small nets' defaults)."""
    return dict(
        activation=model_config.get('activation', 'leaky_relu'),
        norm=model_config.get('norm', 'none'),
        init_std=model_config.get('init_std', 0.0),
        axis_name=axis_name,
    )


def _critic_style(model_config) -> dict:
    """The discriminators' layers: `model.discriminator_activation` (e.g. PacGAN's 'maxout' with
    `model.maxout_pieces`), never normalised."""
    return dict(
        activation=model_config.get('discriminator_activation', 'leaky_relu'),
        maxout_pieces=model_config.get('maxout_pieces', 5),
        init_std=model_config.get('init_std', 0.0),
    )


__all__ = [
    'KINDS',
    'MLP',
    'NORMS',
    'DownConv',
    'Downsampler',
    'Generator',
    'ImageMLP',
    'UpConv',
    'code_discriminator',
    'discriminator',
    'discriminator_width',
    'encoder',
    'generator',
]
