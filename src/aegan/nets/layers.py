"""Layers that XLA runs fast in both directions.

`nn.ConvTranspose` (an lhs-dilated convolution) takes 0.2-3.9 s per layer forward+backward on XLA:CPU at batch 64,
because of its kernel-gradient path (`python benchmarks/upsample.py`). `UpConv` computes *exactly* the same function
as a PyTorch/DCGAN `ConvTranspose2d(kernel=4, stride=2, padding=1)`, by one of two algorithms:
  'phases': four stride-1 2x2 convolutions, one per output phase; forward and backward are ordinary convolutions.
  'matmul': one matmul turns every input pixel into its 4x4 output patch, and the overlapping patches are added up
      (col2im, as PyTorch's CPU transposed convolution does); backward is a gather and two matmuls. On XLA:CPU it ran
      1.1-6.5x faster than 'phases' per layer and made the α-GAN step 1.2x faster (benchmarks/README.md).
'auto' (the default) is 'matmul' on a CPU and 'phases' elsewhere, where 'phases' is what was measured on a GPU. Both
have the same parameters, so a checkpoint moves between them.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import lax

# For output row 2*i + a, a transposed 4-tap/stride-2/pad-1 convolution reads input rows (i-1, i) with kernel taps
# (3, 1) when a = 0 and rows (i, i+1) with taps (2, 0) when a = 1 (from o = 2*m - 1 + k).
_PHASE_TAPS = ((3, 1), (2, 0))
_PHASE_PADDING = ((1, 0), (0, 1))
# The same reads as (input offset, tap): a = 0 reads row i-1 with tap 3 and row i with tap 1; a = 1 row i with tap 2
# and row i+1 with tap 0.
_PHASE_READS = (((-1, 3), (0, 1)), ((0, 2), (1, 0)))


class UpConv(nn.Module):
    """2x upsampling, equal to ConvTranspose2d(k=4, s=2, p=1) with kernel `[4, 4, in, out]` (torch's taps order).

    Attributes:
      features: output channels.
      use_bias: add a learned bias.
    """

    features: int
    use_bias: bool = True
    kernel_init: nn.initializers.Initializer = nn.initializers.normal(0.02)
    algorithm: str = 'auto'

    @nn.compact
    def __call__(self, x):
        kernel = self.param('kernel', self.kernel_init, (4, 4, x.shape[-1], self.features), jnp.float32)
        algorithm = upconv_algorithm() if self.algorithm == 'auto' else self.algorithm
        if algorithm not in UPCONV_ALGORITHMS:
            raise ValueError(f'Unknown UpConv algorithm={algorithm!r}; valid choices: {["auto", *UPCONV_ALGORITHMS]}.')
        y = _upconv_phases(x, kernel) if algorithm == 'phases' else _upconv_matmul(x, kernel)
        if self.use_bias:
            y = y + self.param('bias', nn.initializers.zeros, (self.features,), jnp.float32)
        return y


UPCONV_ALGORITHMS = ('phases', 'matmul')


def upconv_algorithm() -> str:
    """'matmul' on a CPU, 'phases' elsewhere: the faster one where each was measured (benchmarks/README.md)."""
    return 'matmul' if jax.default_backend() == 'cpu' else 'phases'


def _interleave_phases(phases):
    """[[y00, y01], [y10, y11]], each [n, h, w, c] -> [n, 2h, 2w, c] with y_ab at rows 2i + a, columns 2j + b."""
    y = jnp.stack([jnp.stack(row, axis=3) for row in phases], axis=2)  # [n, h, 2(a), w, 2(b), c]
    n, h, _, w, _, c = y.shape
    return y.reshape(n, 2 * h, 2 * w, c)


def _upconv_phases(x, kernel):
    """One stride-1 2x2 convolution per output phase."""
    return _interleave_phases(
        [
            [
                lax.conv_general_dilated(
                    x,
                    kernel[jnp.array(_PHASE_TAPS[a])][:, jnp.array(_PHASE_TAPS[b])],
                    window_strides=(1, 1),
                    padding=(_PHASE_PADDING[a], _PHASE_PADDING[b]),
                    dimension_numbers=('NHWC', 'HWIO', 'NHWC'),
                )
                for b in (0, 1)
            ]
            for a in (0, 1)
        ]
    )


def _shifted(t, rows, cols):
    """t[:, i + rows, j + cols], zero outside t."""
    return lax.pad(t, jnp.zeros((), t.dtype), ((0, 0, 0), (-rows, rows, 0), (-cols, cols, 0), (0, 0, 0)))


def _upconv_matmul(x, kernel):
    """One matmul gives every input pixel's 4x4 output patch; `_overlap_add` sums the patches into the output."""
    n, h, w, c = x.shape
    features = kernel.shape[-1]
    patches = jnp.dot(x.reshape(n * h * w, c), kernel.transpose(2, 0, 1, 3).reshape(c, 16 * features))
    return _overlap_add(patches.reshape(n, h, w, 4, 4, features))


def _tap_reads():
    """(a, b, row offset, column offset, row tap, column tap) for each of the 16 taps: which output phase it adds to,
    from where."""
    return [
        (a, b, rows, cols, row_tap, col_tap)
        for a in (0, 1)
        for b in (0, 1)
        for rows, row_tap in _PHASE_READS[a]
        for cols, col_tap in _PHASE_READS[b]
    ]


@jax.custom_vjp
def _overlap_add(patches):
    """[n, h, w, 4, 4, c] patches -> [n, 2h, 2w, c]: phase (a, b) adds the four shifted taps it reads.

    Its transpose is written out (`_overlap_add_bwd`): each tap's cotangent is one shifted slice of one phase's, all
    sixteen in one stack. Left to autodiff, every tap's cotangent was a zero-padded full-size array, and the sixteen
    were added up: 13 of 140 ms of the α-GAN step's op time.
    """
    phases = [[0, 0], [0, 0]]
    for a, b, rows, cols, row_tap, col_tap in _tap_reads():
        phases[a][b] = phases[a][b] + _shifted(patches[:, :, :, row_tap, col_tap], rows, cols)
    return _interleave_phases(phases)


def _overlap_add_fwd(patches):
    return _overlap_add(patches), None


def _overlap_add_bwd(_, cotangent):
    """Tap (r, s) of input pixel (i, j) wrote to output pixel (2i - 1 + r, 2j - 1 + s), so its cotangent is read from
    there: with one pixel of zero padding, row 2i - 1 + r is row 2(i + r // 2) + r % 2 of the padded output."""
    n, h2, w2, c = cotangent.shape
    h, w = h2 // 2, w2 // 2
    padded = jnp.pad(cotangent, ((0, 0), (1, 1), (1, 1), (0, 0))).reshape(n, h + 1, 2, w + 1, 2, c)
    rows = jnp.stack([padded[:, :h], padded[:, 1:]], axis=2)  # [n, h, 2 (r // 2), 2 (r % 2), w + 1, 2, c]
    taps = jnp.stack([rows[:, :, :, :, :w], rows[:, :, :, :, 1:]], axis=5)  # [n, h, 2, 2, w, 2 (s // 2), 2, c]
    return (taps.transpose(0, 1, 4, 2, 3, 5, 6, 7).reshape(n, h, w, 4, 4, c),)


_overlap_add.defvjp(_overlap_add_fwd, _overlap_add_bwd)
