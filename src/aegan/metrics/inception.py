"""The 2015-12-05 Inception network of the original Inception-score and FID code, as a Flax module.

Structure: torchvision's Inception3 with pytorch-fid's patches (docs/metrics.md): 94 conv blocks
(Conv without bias -> BatchNorm eps 1e-3 -> ReLU) with torch's explicit paddings, branch average pools that do not
count padding, a max pool in Mixed_7c's pool branch, a 1008-way fc. Submodule names are the torch state-dict names,
so `convert_inception.py` maps the PyTorch port's weights one to one.

Input pipeline (what the TF graph does; docs/metrics.md): uint8 images -> float -> TF1 *legacy* bilinear resize to 299
(align_corners=False, no half-pixel centres; written by hand: `jax.image.resize` differs by up to 159 grey levels)
-> (x - 128) / 128. Outputs: pool3 (2048-d, FID/KID) and the *unbiased* logits pool3 @ W (Inception score), plus the
biased logits.
"""

import hashlib
import os
from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from flax import traverse_util

from aegan.xla_cpu import jit_for_metrics

NUM_CLASSES = 1008
INPUT_SIZE = 299
EXPECTED_SHA256_PREFIX = '6726825d'  # torch.hub naming: pt_inception-2015-12-05-6726825d.pth (of the .pth file)


class _ConvKernel(nn.Module):
    """Holds `conv/kernel` (HWIO), the name and shape `convert_inception` writes."""

    shape: Sequence[int]

    @nn.compact
    def __call__(self):
        return self.param('kernel', nn.initializers.lecun_normal(), tuple(self.shape))


class _BatchNormStatistics(nn.Module):
    """Holds `bn/{scale,bias}` and `batch_stats/bn/{mean,var}` exactly as `nn.BatchNorm` names them."""

    features: int

    @nn.compact
    def __call__(self):
        scale = self.param('scale', nn.initializers.ones, (self.features,))
        bias = self.param('bias', nn.initializers.zeros, (self.features,))
        mean = self.variable('batch_stats', 'mean', jnp.zeros, (self.features,)).value
        var = self.variable('batch_stats', 'var', jnp.ones, (self.features,)).value
        return scale, bias, mean, var


def fast_conv(x, kernel, strides, padding):
    """NHWC x HWIO correlation with symmetric `padding` (h, w), choosing the form XLA:CPU runs fastest (measured,
    benchmarks/README.md "Inception"): a 1x1 stride-1 conv is a matmul (2-5x faster than the convolution op), and an
    unpadded k x k conv is computed with one extra row and column of padding at the end, then cropped (2x faster
    than a VALID convolution, same windows, so the same values)."""
    (kh, kw, _, _), (ph, pw) = kernel.shape, padding
    if (kh, kw) == (1, 1) and tuple(strides) == (1, 1) and (ph, pw) == (0, 0):
        return jnp.einsum('nhwc,co->nhwo', x, kernel[0, 0])
    out_h = (x.shape[1] + 2 * ph - kh) // strides[0] + 1
    out_w = (x.shape[2] + 2 * pw - kw) // strides[1] + 1
    extra = 1 if (ph, pw) == (0, 0) else 0
    y = jax.lax.conv_general_dilated(
        x, kernel, tuple(strides), ((ph, ph + extra), (pw, pw + extra)), dimension_numbers=('NHWC', 'HWIO', 'NHWC')
    )
    return y[:, :out_h, :out_w]


class BasicConv2d(nn.Module):
    """Conv (no bias) -> BatchNorm(eps 1e-3, running statistics) -> ReLU, with the BatchNorm folded into the conv.

    Folding: w' = w * scale / sqrt(var + eps) per output channel and b' = bias - mean * scale / sqrt(var + eps), so
    the activations are touched once (conv, then bias + ReLU) instead of three times. The variables keep
    `nn.Conv`/`nn.BatchNorm`'s names and shapes (tests/test_inception.py compares the two forms).
    """

    features: int
    kernel: Sequence[int]
    strides: Sequence[int] = (1, 1)
    padding: Sequence[int] = (0, 0)  # symmetric (h, w), as torch

    @nn.compact
    def folded(self, in_features: int):
        """(kernel', bias') with the BatchNorm folded in."""
        kernel = _ConvKernel((*self.kernel, in_features, self.features), name='conv')()
        scale, bias, mean, var = _BatchNormStatistics(self.features, name='bn')()
        multiplier = scale * jax.lax.rsqrt(var + 1e-3)
        return kernel * multiplier, bias - mean * multiplier

    def __call__(self, x):
        kernel, bias = self.folded(x.shape[-1])
        return nn.relu(fast_conv(x, kernel, self.strides, self.padding) + bias)


def pointwise_branches(x, blocks, pooled=None):
    """The 1x1 BasicConv2d `blocks` that read the same `x`, as one matmul; returns their outputs in order.

    `pooled` (a 1x1 block) is the branch that average-pools `x` first. A 1x1 conv acts per pixel and the
    padding-excluding average pool per channel, both linearly, so pool(x) @ W = pool(x @ W): the pool runs on the
    block's few output channels instead of x's many, and its matmul joins the others (exact up to float32 rounding).
    """
    blocks = [*blocks, pooled] if pooled is not None else list(blocks)
    folded = [block.folded(x.shape[-1]) for block in blocks]
    y = jnp.einsum('nhwc,co->nhwo', x, jnp.concatenate([kernel[0, 0] for kernel, _ in folded], axis=-1))
    outputs = jnp.split(y, np.cumsum([block.features for block in blocks])[:-1], axis=-1)
    if pooled is not None:
        outputs[-1] = avg_pool_3x3(outputs[-1])
    return [nn.relu(out + bias) for out, (_, bias) in zip(outputs, folded, strict=True)]


def _window_3(x, axis: int, stride: int, combine):
    """`combine` over VALID 3-wide windows along `axis`: three strided slices, which XLA fuses into one loop.

    The 3x3 pools below are this along H, then W. XLA:CPU's reduce-window ran them slower: the separable max and
    average pools made the whole network at batch 25 1.06x faster (benchmarks/README.md, "Inception").
    """
    n = (x.shape[axis] - 3) // stride + 1
    a, b, c = (jax.lax.slice_in_dim(x, i, i + stride * (n - 1) + 1, stride, axis) for i in range(3))
    return combine(combine(a, b), c)


def _pool_3x3(x, stride: int, combine):
    return _window_3(_window_3(x, 1, stride, combine), 2, stride, combine)


def avg_pool_3x3(x):
    """TF's average pool: 3x3, stride 1, pad 1, padding not counted (the border sums are divided by 4 or 6)."""
    height, width = x.shape[1:3]
    counts = [np.full(n, 3.0) for n in (height, width)]
    for count in counts:
        count[[0, -1]] = 2.0
    inverse_counts = jnp.asarray(1.0 / np.outer(*counts), jnp.float32)[None, :, :, None]
    return _pool_3x3(jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0))), 1, jnp.add) * inverse_counts


def max_pool_3x3_s2(x):
    """3x3 max pool, stride 2, VALID."""
    return _pool_3x3(x, 2, jnp.maximum)


def max_pool_3x3_same(x):
    """3x3 max pool, stride 1, pad 1 (padding never wins: -inf)."""
    return _pool_3x3(jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=-jnp.inf), 1, jnp.maximum)


class InceptionA(nn.Module):
    pool_features: int

    @nn.compact
    def __call__(self, x):
        b1, b5, b3, bp = pointwise_branches(
            x,
            [
                BasicConv2d(64, (1, 1), name='branch1x1'),
                BasicConv2d(48, (1, 1), name='branch5x5_1'),
                BasicConv2d(64, (1, 1), name='branch3x3dbl_1'),
            ],
            pooled=BasicConv2d(self.pool_features, (1, 1), name='branch_pool'),
        )
        b5 = BasicConv2d(64, (5, 5), padding=(2, 2), name='branch5x5_2')(b5)
        b3 = BasicConv2d(96, (3, 3), padding=(1, 1), name='branch3x3dbl_2')(b3)
        b3 = BasicConv2d(96, (3, 3), padding=(1, 1), name='branch3x3dbl_3')(b3)
        return jnp.concatenate([b1, b5, b3, bp], axis=-1)


class InceptionB(nn.Module):
    @nn.compact
    def __call__(self, x):
        b3 = BasicConv2d(384, (3, 3), (2, 2), name='branch3x3')(x)
        bd = BasicConv2d(64, (1, 1), name='branch3x3dbl_1')(x)
        bd = BasicConv2d(96, (3, 3), padding=(1, 1), name='branch3x3dbl_2')(bd)
        bd = BasicConv2d(96, (3, 3), (2, 2), name='branch3x3dbl_3')(bd)
        return jnp.concatenate([b3, bd, max_pool_3x3_s2(x)], axis=-1)


class InceptionC(nn.Module):
    channels_7x7: int

    @nn.compact
    def __call__(self, x):
        c7 = self.channels_7x7
        b1, b7, bd, bp = pointwise_branches(
            x,
            [
                BasicConv2d(192, (1, 1), name='branch1x1'),
                BasicConv2d(c7, (1, 1), name='branch7x7_1'),
                BasicConv2d(c7, (1, 1), name='branch7x7dbl_1'),
            ],
            pooled=BasicConv2d(192, (1, 1), name='branch_pool'),
        )
        b7 = BasicConv2d(c7, (1, 7), padding=(0, 3), name='branch7x7_2')(b7)
        b7 = BasicConv2d(192, (7, 1), padding=(3, 0), name='branch7x7_3')(b7)
        bd = BasicConv2d(c7, (7, 1), padding=(3, 0), name='branch7x7dbl_2')(bd)
        bd = BasicConv2d(c7, (1, 7), padding=(0, 3), name='branch7x7dbl_3')(bd)
        bd = BasicConv2d(c7, (7, 1), padding=(3, 0), name='branch7x7dbl_4')(bd)
        bd = BasicConv2d(192, (1, 7), padding=(0, 3), name='branch7x7dbl_5')(bd)
        return jnp.concatenate([b1, b7, bd, bp], axis=-1)


class InceptionD(nn.Module):
    @nn.compact
    def __call__(self, x):
        b3, b7 = pointwise_branches(
            x, [BasicConv2d(192, (1, 1), name='branch3x3_1'), BasicConv2d(192, (1, 1), name='branch7x7x3_1')]
        )
        b3 = BasicConv2d(320, (3, 3), (2, 2), name='branch3x3_2')(b3)
        b7 = BasicConv2d(192, (1, 7), padding=(0, 3), name='branch7x7x3_2')(b7)
        b7 = BasicConv2d(192, (7, 1), padding=(3, 0), name='branch7x7x3_3')(b7)
        b7 = BasicConv2d(192, (3, 3), (2, 2), name='branch7x7x3_4')(b7)
        return jnp.concatenate([b3, b7, max_pool_3x3_s2(x)], axis=-1)


class InceptionE(nn.Module):
    """Mixed_7b pools with the padding-excluding average; Mixed_7c with a max pool (pytorch-fid's FIDInceptionE_2)."""

    max_pool: bool = False

    @nn.compact
    def __call__(self, x):
        pool_branch = BasicConv2d(192, (1, 1), name='branch_pool')
        b1, b3, bd, *bp = pointwise_branches(
            x,
            [
                BasicConv2d(320, (1, 1), name='branch1x1'),
                BasicConv2d(384, (1, 1), name='branch3x3_1'),
                BasicConv2d(448, (1, 1), name='branch3x3dbl_1'),
            ],
            pooled=None if self.max_pool else pool_branch,
        )
        b3 = jnp.concatenate(
            [
                BasicConv2d(384, (1, 3), padding=(0, 1), name='branch3x3_2a')(b3),
                BasicConv2d(384, (3, 1), padding=(1, 0), name='branch3x3_2b')(b3),
            ],
            axis=-1,
        )
        bd = BasicConv2d(384, (3, 3), padding=(1, 1), name='branch3x3dbl_2')(bd)
        bd = jnp.concatenate(
            [
                BasicConv2d(384, (1, 3), padding=(0, 1), name='branch3x3dbl_3a')(bd),
                BasicConv2d(384, (3, 1), padding=(1, 0), name='branch3x3dbl_3b')(bd),
            ],
            axis=-1,
        )
        if self.max_pool:  # a max pool does not commute with the conv
            bp = [pool_branch(max_pool_3x3_same(x))]
        return jnp.concatenate([b1, b3, bd, *bp], axis=-1)


class InceptionV3(nn.Module):
    """[N, 299, 299, 3] inputs already scaled to [-1, 1] -> {'pool3', 'logits_unbiased', 'logits'}."""

    @nn.compact
    def __call__(self, x):
        x = BasicConv2d(32, (3, 3), (2, 2), name='Conv2d_1a_3x3')(x)
        x = BasicConv2d(32, (3, 3), name='Conv2d_2a_3x3')(x)
        x = BasicConv2d(64, (3, 3), padding=(1, 1), name='Conv2d_2b_3x3')(x)
        x = max_pool_3x3_s2(x)
        x = BasicConv2d(80, (1, 1), name='Conv2d_3b_1x1')(x)
        x = BasicConv2d(192, (3, 3), name='Conv2d_4a_3x3')(x)
        x = max_pool_3x3_s2(x)
        x = InceptionA(32, name='Mixed_5b')(x)
        x = InceptionA(64, name='Mixed_5c')(x)
        x = InceptionA(64, name='Mixed_5d')(x)
        x = InceptionB(name='Mixed_6a')(x)
        for name, c7 in (('Mixed_6b', 128), ('Mixed_6c', 160), ('Mixed_6d', 160), ('Mixed_6e', 192)):
            x = InceptionC(c7, name=name)(x)
        x = InceptionD(name='Mixed_7a')(x)
        x = InceptionE(name='Mixed_7b')(x)
        x = InceptionE(max_pool=True, name='Mixed_7c')(x)
        pool3 = jnp.mean(x, axis=(1, 2))
        fc = nn.Dense(NUM_CLASSES, name='fc')
        logits = fc(pool3)
        return {'pool3': pool3, 'logits_unbiased': pool3 @ fc.variables['params']['kernel'], 'logits': logits}


def legacy_resize_bilinear(images, size: int = INPUT_SIZE):
    """TF1 `ResizeBilinear(align_corners=False, half_pixel_centers=False)` of [N, H, W, C] floats to size x size.

    src = dst * (in / out); lo = floor(src); hi = min(lo + 1, in - 1); linear interpolation between them.
    """

    def axis_weights(n_in):
        src = np.arange(size, dtype=np.float64) * (n_in / size)
        lo = np.floor(src).astype(np.int32)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, (src - lo).astype(np.float32)

    y_lo, y_hi, y_frac = axis_weights(images.shape[1])
    x_lo, x_hi, x_frac = axis_weights(images.shape[2])
    x_frac = x_frac[None, None, :, None]
    top = images[:, y_lo][:, :, x_lo] + (images[:, y_lo][:, :, x_hi] - images[:, y_lo][:, :, x_lo]) * x_frac
    bottom = images[:, y_hi][:, :, x_lo] + (images[:, y_hi][:, :, x_hi] - images[:, y_hi][:, :, x_lo]) * x_frac
    return top + (bottom - top) * y_frac[None, :, None, None]


def preprocess(images_uint8):
    """uint8 [N, H, W, 3] -> the network's input: legacy resize to 299, then (x - 128) / 128."""
    if images_uint8.shape[-1] != 3:
        raise ValueError(f'The Inception network takes RGB images [N, H, W, 3]; got shape {images_uint8.shape}.')
    return (legacy_resize_bilinear(jnp.asarray(images_uint8, jnp.float32)) - 128.0) / 128.0


def sha256_of(path: str) -> str:
    with open(path, 'rb') as f:
        return hashlib.file_digest(f, 'sha256').hexdigest()


def missing_weights_message(path: str | None) -> str:
    return (
        f'No Inception weights at {path!r}. Get pt_inception-2015-12-05-6726825d.pth (pytorch-fid release '
        '"fid_weights") on a machine with internet, then run `python -m aegan.metrics.convert_inception '
        '--input=pt_inception-2015-12-05-6726825d.pth --output=inception_2015_12_05.npz` (needs torch) and pass '
        '--inception_weights=inception_2015_12_05.npz (or set AEGAN_INCEPTION_WEIGHTS).'
    )


def load_variables(path: str) -> dict:
    """Loads the converted weights (`python -m aegan.metrics.convert_inception`) and checks every shape."""
    if not os.path.exists(path):
        raise FileNotFoundError(missing_weights_message(path))
    with np.load(path) as f:
        flat = {k: f[k] for k in f.files if k != 'source_sha256'}
    expected = jax.eval_shape(InceptionV3().init, jax.random.key(0), jnp.zeros((1, INPUT_SIZE, INPUT_SIZE, 3)))
    expected_flat = {
        '/'.join(str(getattr(p, 'key', p)) for p in path): leaf
        for path, leaf in jax.tree_util.tree_flatten_with_path(expected)[0]
    }
    missing = sorted(set(expected_flat) - set(flat))
    wrong = sorted(k for k in expected_flat.keys() & flat.keys() if tuple(flat[k].shape) != expected_flat[k].shape)
    if missing or wrong:
        raise ValueError(
            f'{path} is not a converted 2015-12-05 Inception: missing {missing[:5]}, wrong shapes '
            f'{[(k, flat[k].shape) for k in wrong[:5]]}. Re-run aegan.metrics.convert_inception.'
        )
    return nest_variables(flat)


def nest_variables(flat: dict) -> dict:
    """{'params/Mixed_5b/branch1x1/conv/kernel': array, ...} (what convert_inception writes) -> the Flax tree."""
    return traverse_util.unflatten_dict({k: jnp.asarray(v, jnp.float32) for k, v in flat.items()}, sep='/')


@jit_for_metrics
def features_of(variables, images_uint8):
    """uint8 images [N, H, W, 3] -> {'pool3', 'logits_unbiased', 'logits'}. The weights are an argument of one
    module-level jit (not constants baked into each compilation), so shapes seen once stay compiled; on a CPU it is
    compiled with `xla_cpu.metric_options()` (1.5x faster there)."""
    with jax.default_matmul_precision('highest'):  # no TF32/bf16 on accelerators (docs/metrics.md)
        return InceptionV3().apply(variables, preprocess(images_uint8))
