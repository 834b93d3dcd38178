"""Flax modules only (no training logic), and `build` which picks them from `config.model`."""

from aegan.nets.dcgan import Downsampler, Generator
from aegan.nets.layers import UpConv
from aegan.nets.mlp import MLP, ImageMLP

KINDS = ('dcgan', 'mlp')


def build(model_config, data_shape, axis_name=None) -> dict:
    """Returns {'encoder', 'generator', 'discriminator', 'code_discriminator'} modules for `data_shape`.

    `model.kind='dcgan'` needs square images of 28, 32 or 64 px; `'mlp'` takes any shape (2D mixtures).
    """
    kind, z_dim = model_config.kind, model_config.z_dim
    code_disc = MLP(tuple(model_config.code_disc_hidden), 1)
    if kind == 'dcgan':
        if len(data_shape) != 3 or data_shape[0] != data_shape[1]:
            raise ValueError(
                f"model.kind='dcgan' needs square images [H, W, C]; the data has shape {data_shape}. "
                "Use model.kind='mlp' for vector data such as 2D mixtures."
            )
        size, channels, width = data_shape[0], data_shape[2], model_config.width
        return {
            'encoder': Downsampler(z_dim, size, width, axis_name),
            'generator': Generator(size, channels, width, axis_name),
            'discriminator': Downsampler(1, size, width, axis_name),
            'code_discriminator': code_disc,
        }
    if kind == 'mlp':
        hidden = tuple(model_config.hidden)
        return {
            'encoder': MLP(hidden, z_dim),
            'generator': ImageMLP(hidden, tuple(data_shape)),
            'discriminator': MLP(hidden, 1),
            'code_discriminator': code_disc,
        }
    raise ValueError(f'Unknown model.kind={kind!r}; valid choices: {list(KINDS)}.')


__all__ = ['KINDS', 'MLP', 'Downsampler', 'Generator', 'ImageMLP', 'UpConv', 'build']
