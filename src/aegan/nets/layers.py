"""Layers that XLA:CPU runs fast in both directions.

`nn.ConvTranspose` (lhs-dilated convolution) costs 1.7-3.4 s per layer forward+backward on XLA:CPU at batch 64
because of its kernel-gradient path (measured: benchmarks/upsample.py). `UpConv` computes *exactly* the same function
as a PyTorch/DCGAN `ConvTranspose2d(kernel=4, stride=2, padding=1)` but as four stride-1 2x2 convolutions, one per
output phase, whose forward and backward passes are ordinary convolutions.
"""

import flax.linen as nn
import jax.numpy as jnp
from jax import lax

# For output row 2*i + a, a transposed 4-tap/stride-2/pad-1 convolution reads input rows (i-1, i) with kernel taps
# (3, 1) when a = 0 and rows (i, i+1) with taps (2, 0) when a = 1 (from o = 2*m - 1 + k).
_PHASE_TAPS = ((3, 1), (2, 0))
_PHASE_PADDING = ((1, 0), (0, 1))


class UpConv(nn.Module):
    """2x upsampling, equal to ConvTranspose2d(k=4, s=2, p=1) with kernel `[4, 4, in, out]` (torch's taps order).

    Attributes:
      features: output channels.
      use_bias: add a learned bias.
    """

    features: int
    use_bias: bool = True
    kernel_init: nn.initializers.Initializer = nn.initializers.normal(0.02)

    @nn.compact
    def __call__(self, x):
        kernel = self.param('kernel', self.kernel_init, (4, 4, x.shape[-1], self.features), jnp.float32)
        rows = []
        for a in (0, 1):
            cols = []
            for b in (0, 1):
                k = kernel[jnp.array(_PHASE_TAPS[a])][:, jnp.array(_PHASE_TAPS[b])]
                cols.append(
                    lax.conv_general_dilated(
                        x,
                        k,
                        window_strides=(1, 1),
                        padding=(_PHASE_PADDING[a], _PHASE_PADDING[b]),
                        dimension_numbers=('NHWC', 'HWIO', 'NHWC'),
                    )
                )
            rows.append(jnp.stack(cols, axis=3))  # [n, h, w, 2(b), c]
        y = jnp.stack(rows, axis=2)  # [n, h, 2(a), w, 2(b), c]
        n, h, _, w, _, c = y.shape
        y = y.reshape(n, 2 * h, 2 * w, c)
        if self.use_bias:
            y = y + self.param('bias', nn.initializers.zeros, (self.features,), jnp.float32)
        return y
