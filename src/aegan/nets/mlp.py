"""Multi-layer perceptrons: nets for 2D mixtures and alpha-GAN's code discriminator (no BatchNorm, as its
implementers advise: batch statistics would let C see the whole batch of codes at once)."""

import math
from collections.abc import Sequence

import flax.linen as nn


class MLP(nn.Module):
    """Dense layers with LeakyReLU(0.2) between them; a linear output of `out_dim` units."""

    hidden: Sequence[int]
    out_dim: int

    @nn.compact
    def __call__(self, x, train: bool = True):
        del train  # Same signature as the conv nets; an MLP has no train-time behaviour.
        x = x.reshape(x.shape[0], -1)
        for width in self.hidden:
            x = nn.leaky_relu(nn.Dense(width)(x), 0.2)
        self.sow('intermediates', 'features', x)  # the head's input (nets.penultimate_features)
        return nn.Dense(self.out_dim)(x)


class ImageMLP(nn.Module):
    """An MLP whose output is reshaped to `shape` (e.g. a 2D point)."""

    hidden: Sequence[int]
    shape: Sequence[int]

    @nn.compact
    def __call__(self, z, train: bool = True):
        flat = MLP(self.hidden, math.prod(self.shape))(z, train)
        return flat.reshape(z.shape[0], *self.shape)
