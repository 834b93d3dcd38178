"""Layers that XLA runs fast in both directions.

`nn.ConvTranspose` (an lhs-dilated convolution) takes 16 ms to 3.9 s per layer forward+backward on XLA:CPU at batch
64, because of its kernel-gradient path (benchmarks/upsample.py (in commit 4c94471)). `UpConv` computes *exactly*
the same function as a PyTorch/DCGAN `ConvTranspose2d(kernel=4, stride=2, padding=1)`, by one of two algorithms:
  'phases': four stride-1 2x2 convolutions, one per output phase; forward and backward are ordinary convolutions.
  'matmul': one matmul turns every input pixel into its 4x4 output patch, and the overlapping patches are added up
      (col2im); backward is a gather and two matmuls. It does about twice the arithmetic of 'phases' in fewer, larger
      calls, and measured faster on both backends tried (benchmarks/README.md): 1.1-7.5x per layer and 1.2x on the
      α-GAN step on XLA:CPU; 1.3-1.45x on the α-GAN step on an H200, at the price of a longer first compile there.
'auto' (the default) is 'matmul' on a CPU or GPU and 'phases' elsewhere (a TPU, where neither was measured). Both
have the same parameters, so a checkpoint moves between them.

`DownConv` is the matching 4x4 stride-2 convolution, whose input gradient (a transposed convolution) uses `UpConv`'s
'matmul' algorithm wherever `UpConv` does, and which on a CPU computes a first layer on images as one matmul of its
4x4 patches.
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
        algorithm = _choose(self.algorithm, upconv_algorithm(), UPCONV_ALGORITHMS, 'UpConv algorithm')
        y = _upconv_phases(x, kernel) if algorithm == 'phases' else _upconv_matmul(x, kernel)
        if self.use_bias:
            y = y + self.param('bias', nn.initializers.zeros, (self.features,), jnp.float32)
        return y


UPCONV_ALGORITHMS = ('phases', 'matmul')


def _choose(value: str, auto: str, valid: tuple, what: str) -> str:
    """`value`, or `auto` where it is 'auto'; anything else not in `valid` is an error that lists the choices."""
    chosen = auto if value == 'auto' else value
    if chosen not in valid:
        raise ValueError(f'Unknown {what}={value!r}; valid choices: {["auto", *valid]}.')
    return chosen


def upconv_algorithm() -> str:
    """'matmul' on a CPU or GPU, where it measured faster (benchmarks/README.md); 'phases' (plain convs) on a TPU."""
    return 'matmul' if jax.default_backend() in ('cpu', 'gpu') else 'phases'


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


# (a, b, row offset, column offset, row tap, column tap) for each of the 16 taps: which output phase it adds to, from
# where.
_TAP_READS = tuple(
    (a, b, rows, cols, row_tap, col_tap)
    for a in (0, 1)
    for b in (0, 1)
    for rows, row_tap in _PHASE_READS[a]
    for cols, col_tap in _PHASE_READS[b]
)


@jax.custom_vjp
def _overlap_add(patches):
    """[n, h, w, 4, 4, c] patches -> [n, 2h, 2w, c]: phase (a, b) adds the four shifted taps it reads.

    Its transpose is written out (`_extract_patches`): each tap's cotangent is one shifted slice of the output's, all
    sixteen in one gather. Left to autodiff, every tap's cotangent was a zero-padded full-size array, and the sixteen
    were added up: 41 of 173 ms of the α-GAN step's op time.
    """
    phases = [[0, 0], [0, 0]]
    for a, b, rows, cols, row_tap, col_tap in _TAP_READS:
        phases[a][b] = phases[a][b] + _shifted(patches[:, :, :, row_tap, col_tap], rows, cols)
    return _interleave_phases(phases)


@jax.custom_vjp
def _extract_patches(x):
    """[n, 2h, 2w, c] -> [n, h, w, 4, 4, c]: the 4x4 window at stride 2 and padding 1 of each output pixel (im2col).

    Tap (r, s) of pixel (i, j) is input pixel (2i - 1 + r, 2j - 1 + s); with one pixel of zero padding, row
    2i - 1 + r is row 2(i + r // 2) + r % 2 of the padded input. The transpose of `_overlap_add`, and vice versa.
    """
    n, h2, w2, c = x.shape
    h, w = h2 // 2, w2 // 2
    padded = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0))).reshape(n, h + 1, 2, w + 1, 2, c)
    rows = jnp.stack([padded[:, :h], padded[:, 1:]], axis=2)  # [n, h, 2 (r // 2), 2 (r % 2), w + 1, 2, c]
    taps = jnp.stack([rows[:, :, :, :, :w], rows[:, :, :, :, 1:]], axis=5)  # [n, h, 2, 2, w, 2 (s // 2), 2, c]
    return taps.transpose(0, 1, 4, 2, 3, 5, 6, 7).reshape(n, h, w, 4, 4, c)


# Each is linear and the other's transpose, so neither keeps residuals.
_overlap_add.defvjp(lambda patches: (_overlap_add(patches), None), lambda _, cotangent: (_extract_patches(cotangent),))
_extract_patches.defvjp(lambda x: (_extract_patches(x), None), lambda _, cotangent: (_overlap_add(cotangent),))


class DownConv(nn.Module):
    """2x downsampling, equal to Conv(k=4, s=2, p=1) with kernel `[4, 4, in, out]` (nn.Conv's parameters and names).

    Its input gradient is a transposed convolution with the same kernel, in and out swapped, which is exactly
    `UpConv`'s function. Three algorithms compute the same function and gradients:
      'conv': XLA's strided convolution; autodiff's gradients.
      'matmul_input_grad': XLA's convolution and kernel gradient; the input gradient with `UpConv`'s 'matmul'
          algorithm (XLA:CPU's own lhs-dilated convolution was slower).
      'patches': the input's 4x4 patches (im2col) times the kernel, one matmul; autodiff then gives the kernel
          gradient as one matmul and the input gradient as 'matmul_input_grad' does. It pays where a convolution
          kernel is least efficient, on few input channels: on XLA:CPU the first layer on RGB images ran 1.3-2.6x
          faster forward and 1.4-3.5x forward + kernel gradient, the stacked_mnist α-GAN step about 5%, and 32 or
          more channels ran slower (benchmarks/downconv_patches.py (in commit 4c94471), benchmarks/README.md).
    'auto': `downconv_algorithm()`.
    """

    features: int
    use_bias: bool = True
    kernel_init: nn.initializers.Initializer = nn.initializers.normal(0.02)
    algorithm: str = 'auto'

    @nn.compact
    def __call__(self, x):
        kernel = self.param('kernel', self.kernel_init, (4, 4, x.shape[-1], self.features), jnp.float32)
        auto = downconv_algorithm(x.shape)
        algorithm = _choose(self.algorithm, auto, DOWNCONV_ALGORITHMS, 'DownConv algorithm')
        if algorithm != 'conv' and (x.shape[1] % 2 or x.shape[2] % 2):
            raise ValueError(f'DownConv algorithm={algorithm!r} needs an even height and width, got {x.shape[1:3]}.')
        conv = {'conv': _strided_conv, 'matmul_input_grad': _strided_conv_matmul_input_grad, 'patches': _patches_conv}
        y = conv[algorithm](x, kernel)
        if self.use_bias:
            y = y + self.param('bias', nn.initializers.zeros, (self.features,), jnp.float32)
        return y


DOWNCONV_ALGORITHMS = ('conv', 'matmul_input_grad', 'patches')
PATCHES_MAX_CHANNELS = 4  # RGB, grey or RGBA input: measured faster at 3 channels, slower from 32 up


def downconv_algorithm(shape) -> str:
    """What 'auto' picks for an input of `shape` [n, h, w, c]: the measured-faster algorithm where UpConv uses 'matmul'
    (CPU, GPU), 'patches' only on a CPU (not measured on a GPU), and 'conv' for odd sizes or elsewhere."""
    if shape[1] % 2 or shape[2] % 2 or upconv_algorithm() != 'matmul':
        return 'conv'
    if shape[3] <= PATCHES_MAX_CHANNELS and jax.default_backend() == 'cpu':
        return 'patches'
    return 'matmul_input_grad'


def _patches_conv(x, kernel):
    """`_strided_conv` as one matmul of the 4x4 patches; `_extract_patches`'s transpose gives the input gradient."""
    n, h, w, c = x.shape
    patches = _extract_patches(x).reshape(n * (h // 2) * (w // 2), 16 * c)
    return jnp.dot(patches, kernel.reshape(16 * c, -1)).reshape(n, h // 2, w // 2, -1)


def _strided_conv(x, kernel):
    return lax.conv_general_dilated(x, kernel, (2, 2), ((1, 1), (1, 1)), dimension_numbers=('NHWC', 'HWIO', 'NHWC'))


@jax.custom_vjp
def _strided_conv_matmul_input_grad(x, kernel):
    return _strided_conv(x, kernel)


def _strided_conv_fwd(x, kernel):
    return _strided_conv(x, kernel), (x, kernel)


def _strided_conv_bwd(residuals, cotangent):
    x, kernel = residuals
    # Autodiff's kernel gradient (through jax.vjp, so that inside shard_map it is summed over the devices like any
    # other gradient of replicated parameters).
    kernel_grad = jax.vjp(lambda k: _strided_conv(x, k), kernel)[1](cotangent)[0]
    return _upconv_matmul(cotangent, kernel.transpose(0, 1, 3, 2)), kernel_grad


_strided_conv_matmul_input_grad.defvjp(_strided_conv_fwd, _strided_conv_bwd)
