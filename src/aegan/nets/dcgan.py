"""DCGAN-style convolutional encoder, generator and discriminator for 28, 32 and 64 px images (Radford et al. 2016).

Downsampling: `DownConv` (a 4x4 stride-2 convolution), LeakyReLU(0.2), BatchNorm after every layer but the first.
Upsampling: `UpConv` (identical to ConvTranspose 4x4/s2/p1), BatchNorm + ReLU, tanh output. Both are in layers.py
for their speed on XLA:CPU. The number of
2x stages follows from the image size: 28 -> 7 (2 stages), 32 -> 4 (3), 64 -> 4 (4).

BatchNorm normalises over the *global* batch (`axis_name`), so a step gives the same result on 1 or N devices.
"""

import flax.linen as nn
import jax.numpy as jnp

from aegan.nets.layers import DownConv, UpConv
from aegan.parallel import collective_axis

_STAGES = {28: 2, 32: 3, 64: 4}
_INIT = nn.initializers.normal(0.02)


def num_stages(image_size):
    if image_size not in _STAGES:
        raise ValueError(
            f'model.image_size={image_size} is not supported by the dcgan nets; use one of {sorted(_STAGES)}.'
        )
    return _STAGES[image_size]


def layer_norm():
    """Gulrajani et al.'s critic normalisation (tflib `Layernorm(name, [1, 2, 3], x)` on NCHW): mean and variance of
    each example over all of C, H, W, then a per-channel scale and offset, epsilon 1e-5. Flax's default
    (`reduction_axes=-1`) would normalise each pixel's channel vector on its own."""
    return nn.LayerNorm(epsilon=1e-5, reduction_axes=(-3, -2, -1), feature_axes=-1)


def _norm(train, axis_name):
    axis_name = collective_axis(axis_name) if train else None
    return nn.BatchNorm(use_running_average=not train, momentum=0.9, axis_name=axis_name)


NORMS = ('batch', 'layer', 'none')


class Downsampler(nn.Module):
    """Conv stack 2x down per stage, then a dense head with `out_dim` outputs (codes or one logit).

    `norm='none'` or `'layer'` for a WGAN-GP critic: the gradient penalty is per example, and BatchNorm couples the
    examples of a batch (Gulrajani et al. 2017, §4).
    """

    out_dim: int
    image_size: int
    width: int = 64
    axis_name: str | None = None
    norm: str = 'batch'

    @nn.compact
    def __call__(self, x, train: bool = True):
        if self.norm not in NORMS:
            raise ValueError(f'Unknown model.norm={self.norm!r}; valid choices: {list(NORMS)}.')
        for i in range(num_stages(self.image_size)):
            normed = i > 0 and self.norm != 'none'
            # No bias before a norm: its gradient is exactly 0, and Adam would turn float noise into lr-sized steps.
            # named as the nn.Conv it replaced, so that earlier checkpoints still load
            x = DownConv(self.width * 2**i, use_bias=not normed, kernel_init=_INIT, name=f'Conv_{i}')(x)
            if normed:
                x = _norm(train, self.axis_name)(x) if self.norm == 'batch' else layer_norm()(x)
            x = nn.leaky_relu(x, 0.2)
        x = x.reshape(x.shape[0], -1)
        self.sow('intermediates', 'features', x)  # the head's input (nets.penultimate_features)
        return nn.Dense(self.out_dim, kernel_init=_INIT)(x)


class Generator(nn.Module):
    """Dense to the smallest feature map, then `UpConv` stages halving the width, tanh image in [-1, 1]."""

    image_size: int
    channels: int
    width: int = 64
    axis_name: str | None = None

    @nn.compact
    def __call__(self, z, train: bool = True):
        stages = num_stages(self.image_size)
        base = self.image_size // 2**stages
        x = nn.Dense(base * base * self.width * 2 ** (stages - 1), use_bias=False, kernel_init=_INIT)(z)
        x = x.reshape(z.shape[0], base, base, -1)
        x = nn.relu(_norm(train, self.axis_name)(x))
        for i in reversed(range(stages - 1)):
            x = UpConv(self.width * 2**i, use_bias=False, kernel_init=_INIT)(x)
            x = nn.relu(_norm(train, self.axis_name)(x))
        return jnp.tanh(UpConv(self.channels, kernel_init=_INIT)(x))
