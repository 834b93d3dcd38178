"""Multi-layer perceptrons: nets for 2D mixtures and alpha-GAN's code discriminator.

The defaults (LeakyReLU(0.2), no normalisation, Flax's LeCun-normal init) are the study's small 2-D nets. The
options reproduce PacGAN's synthetic-data nets (fjxmlzn/PacGAN, `2DRing_GAN&PacGAN`): a generator of ReLU layers
with BatchNorm and no hidden biases, a discriminator of linear maxout layers, every weight drawn from N(0, 0.02).
The code discriminator never has BatchNorm, as alpha-GAN's implementers advise: batch statistics would let C see
the whole batch of codes at once.
"""

import math
from collections.abc import Sequence

import flax.linen as nn
import jax.numpy as jnp

from aegan.parallel import collective_axis

ACTIVATIONS = ('leaky_relu', 'relu', 'maxout')
MLP_NORMS = ('none', 'batch')


class MLP(nn.Module):
    """Dense hidden layers, then a linear output of `out_dim` units.

    `activation='maxout'` makes each hidden layer a linear maxout (Goodfellow et al. 2013): `maxout_pieces` affine
    maps per unit and their maximum. `norm='batch'` puts BatchNorm (over the global batch) before each activation
    and drops the hidden layers' biases, which BatchNorm's offset replaces. `init_std` > 0 draws every weight from
    N(0, init_std) (0: Flax's default)."""

    hidden: Sequence[int]
    out_dim: int
    activation: str = 'leaky_relu'
    norm: str = 'none'
    maxout_pieces: int = 5
    init_std: float = 0.0
    axis_name: str | None = None

    @nn.compact
    def __call__(self, x, train: bool = True):
        if self.activation not in ACTIVATIONS or self.norm not in MLP_NORMS:
            raise ValueError(
                f'MLP activation={self.activation!r}, norm={self.norm!r}; valid: {list(ACTIVATIONS)} and '
                f'{list(MLP_NORMS)}.'
            )
        init = nn.initializers.normal(self.init_std) if self.init_std > 0 else nn.linear.default_kernel_init
        x = x.reshape(x.shape[0], -1)
        for width in self.hidden:
            pieces = self.maxout_pieces if self.activation == 'maxout' else 1
            x = nn.Dense(width * pieces, use_bias=self.norm == 'none', kernel_init=init)(x)
            if self.norm == 'batch':
                axis_name = collective_axis(self.axis_name) if train else None
                # PacGAN's population statistics: p <- 0.95 p + 0.05 m, blocks' epsilon 1e-4.
                x = nn.BatchNorm(use_running_average=not train, momentum=0.95, epsilon=1e-4, axis_name=axis_name)(x)
            if self.activation == 'maxout':
                x = jnp.max(x.reshape(x.shape[0], width, pieces), axis=-1)
            elif self.activation == 'relu':
                x = nn.relu(x)
            else:
                x = nn.leaky_relu(x, 0.2)
        self.sow('intermediates', 'features', x)  # the head's input (nets.penultimate_features)
        return nn.Dense(self.out_dim, kernel_init=init)(x)


class ImageMLP(nn.Module):
    """An MLP whose output is reshaped to `shape` (e.g. a 2D point)."""

    hidden: Sequence[int]
    shape: Sequence[int]
    activation: str = 'leaky_relu'
    norm: str = 'none'
    init_std: float = 0.0
    axis_name: str | None = None

    @nn.compact
    def __call__(self, z, train: bool = True):
        mlp = MLP(
            self.hidden,
            math.prod(self.shape),
            activation=self.activation,
            norm=self.norm,
            init_std=self.init_std,
            axis_name=self.axis_name,
        )
        return mlp(z, train).reshape(z.shape[0], *self.shape)
