"""MS-SSIM: `tf.image.ssim_multiscale`'s algorithm in JAX, a small-image policy, and the sample-diversity protocol.

The algorithm (docs/metrics.md): a normalised 11x11 Gaussian (sigma 1.5) applied per channel with VALID
padding; c1 = (k1 max_val)^2, c2 = (k2 max_val)^2; per scale the mean over H, W of luminance * cs ("ssim") and of cs;
between scales a 2x2 average pool after padding odd sizes at the end by symmetric reflection; result
prod_{k<K-1} relu(cs_k)^w_k * relu(ssim_{K-1})^w_{K-1} per channel, then the mean over channels.

TF asserts every scale is at least filter_size wide, so with 5 scales it needs >= 176 px. `small_images` says what
to do below that, and is recorded with every result:
  'error'                    TF core: raise.
  'shrink_filter'            google/compare_gan: filter_size = min(filter_size, H, W) at each scale, sigma kept.
  'shrink_filter_and_sigma'  tensorflow/models' msssim.py: also sigma = size * sigma / filter_size.
For images >= 176 px all three are the same function.
"""

import jax
import jax.numpy as jnp
import numpy as np

from aegan.xla_cpu import jit_for_metrics

POWER_FACTORS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)  # Wang et al.; TF's _MSSSIM_WEIGHTS (sum 1.0001)
SMALL_IMAGE_POLICIES = ('error', 'shrink_filter', 'shrink_filter_and_sigma')
W_TILE = 32  # output columns per matmul tile of the W pass (16-48 measured alike, 64+ slower at 176 px) ...
TILED_FROM_WIDTH = 128  # ... once the filtered width reaches this; at 64-128 px one matmul measured faster


def gaussian_kernel_1d(size: int, sigma: float) -> np.ndarray:
    """TF's `_fspecial_gauss` is the softmax of the 2-D exponent, i.e. outer(g, g) of this normalised 1-D kernel."""
    coords = np.arange(size, dtype=np.float64) - (size - 1) / 2
    g = np.exp(-0.5 * coords**2 / sigma**2)
    return (g / g.sum()).astype(np.float32)


def _toeplitz(n: int, kernel_1d: np.ndarray) -> np.ndarray:
    """[n - size + 1, n] matrix whose rows are the kernel at each VALID offset: `x @ T.T` filters the last axis."""
    size = len(kernel_1d)
    matrix = np.zeros((n - size + 1, n), np.float32)
    for offset in range(n - size + 1):
        matrix[offset, offset : offset + size] = kernel_1d
    return matrix


def _filter(x, kernel_1d):
    """VALID Gaussian filter of [..., H, W] maps, as two separable 1-D passes.

    Along W (contiguous) a matmul with the banded Toeplitz matrix; on maps of `TILED_FROM_WIDTH` columns or more,
    in tiles of `W_TILE` output columns so that it skips most of the band's zeros. Along H a sum of shifted row
    slices, which XLA fuses into one loop. On XLA:CPU this layout and split measured 15x faster than a depthwise NHWC
    convolution and 1.4x faster than shifted sums on both axes, and the tiles 1.05x (176 px) and 1.2x (256 px)
    faster than one matmul over the whole width (benchmarks/README.md, "MS-SSIM"). The tiles leave out only zeros
    of the band (the results at 176 and 256 px were identical to the untiled ones).
    """
    size = len(kernel_1d)
    width = x.shape[-1] - size + 1
    tile = W_TILE if width >= TILED_FROM_WIDTH else width
    tiles, span = -(-width // tile), tile + size - 1  # span: input columns a tile reads
    x = jnp.pad(x, [(0, 0)] * (x.ndim - 1) + [(0, (tiles - 1) * tile + span - x.shape[-1])])
    x = jnp.stack([x[..., t * tile : t * tile + span] for t in range(tiles)], axis=-2)
    x = jnp.einsum('...tw,ow->...to', x, _toeplitz(span, kernel_1d), precision=jax.lax.Precision.HIGHEST)
    x = x.reshape(*x.shape[:-2], -1)[..., :width]
    length = x.shape[-2] - size + 1
    out = float(kernel_1d[0]) * x[..., 0:length, :]
    for i in range(1, size):
        out = out + float(kernel_1d[i]) * x[..., i : i + length, :]
    return out


def _ssim_per_channel(x, y, max_val, kernel_1d, k1, k2):
    """(ssim, cs) of [..., H, W] maps, each [...]: means over H, W of luminance * cs and of cs.

    The four maps (x, y, xy, x^2 + y^2) are filtered one call each, so x and y go to the matmul as they are: one
    call over their stack measured 1.1x slower on XLA:CPU, the stack being a copy of all four (benchmarks/README.md).
    """
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mean0, mean1, mean_xy, mean_squares = (_filter(m, kernel_1d) for m in (x, y, x * y, x * x + y * y))
    num0 = mean0 * mean1 * 2.0
    den0 = jnp.square(mean0) + jnp.square(mean1)
    luminance = (num0 + c1) / (den0 + c1)
    cs = (mean_xy * 2.0 - num0 + c2) / (mean_squares - den0 + c2)
    return jnp.mean(luminance * cs, axis=(-2, -1)), jnp.mean(cs, axis=(-2, -1))


def _downsample(x):
    """[..., H, W]: symmetric pad of odd sizes at the end, then 2x2 average pooling (TF's `do_pad` + `avg_pool`)."""
    h, w = x.shape[-2:]
    x = jnp.pad(x, [(0, 0)] * (x.ndim - 2) + [(0, h % 2), (0, w % 2)], mode='symmetric')
    h, w = x.shape[-2:]
    return x.reshape(x.shape[:-2] + (h // 2, 2, w // 2, 2)).mean(axis=(-3, -1))


def _scale_filters(height, width, num_scales, filter_size, filter_sigma, small_images):
    """The (size, sigma) used at each scale, or a ValueError under the 'error' policy."""
    if small_images not in SMALL_IMAGE_POLICIES:
        raise ValueError(f'Unknown small_images={small_images!r}; valid choices: {list(SMALL_IMAGE_POLICIES)}.')
    filters = []
    for k in range(num_scales):
        if k > 0:
            height, width = (height + 1) // 2, (width + 1) // 2
        size = min(filter_size, height, width)
        if size < filter_size and small_images == 'error':
            raise ValueError(
                f'MS-SSIM with {num_scales} scales and filter_size={filter_size} needs images of at least '
                f'{filter_size * 2 ** (num_scales - 1)} px (scale {k} is {height}x{width}), as '
                "tf.image.ssim_multiscale. For smaller images pass small_images='shrink_filter' (compare_gan) or "
                "'shrink_filter_and_sigma'."
            )
        sigma = size * filter_sigma / filter_size if small_images == 'shrink_filter_and_sigma' else filter_sigma
        filters.append((size, sigma))
    return filters


def default_pairs_per_chunk() -> int:
    """Pairs per lax.map chunk (speed only; the result does not depend on it). On a CPU 4 keeps a chunk's maps in
    cache (fastest of 1..16 at 256 px, as fast as 2..8 at 176 px); an accelerator wants many pairs at once
    (benchmarks/README.md, GPU)."""
    return 4 if jax.default_backend() == 'cpu' else 256


@jit_for_metrics(static_argnames=('max_val', 'power_factors', 'filters', 'k1', 'k2', 'pairs_per_chunk'))
def _ms_ssim(img1, img2, max_val, power_factors, filters, k1, k2, pairs_per_chunk):
    """[B, H, W, C] pairs -> [B]. Works in [B, C, H, W] so that filters and pools run along contiguous W. On a CPU
    compiled with `xla_cpu.metric_options()` (2.6x / 4.7x faster there at 176 / 256 px)."""

    def one_pair(pair):
        x, y = (jnp.moveaxis(image.astype(jnp.float32), -1, 0) for image in pair)
        values = []
        for k, (size, sigma) in enumerate(filters):
            if k > 0:
                x, y = _downsample(x), _downsample(y)
            ssim, cs = _ssim_per_channel(x, y, max_val, gaussian_kernel_1d(size, sigma), k1, k2)
            values.append(jax.nn.relu(cs) if k < len(filters) - 1 else jax.nn.relu(ssim))
        per_channel = jnp.prod(jnp.stack(values, axis=-1) ** jnp.asarray(power_factors, jnp.float32), axis=-1)
        return jnp.mean(per_channel)

    return jax.lax.map(one_pair, (img1, img2), batch_size=pairs_per_chunk)


def ms_ssim(
    img1,
    img2,
    max_val: float,
    power_factors=POWER_FACTORS,
    filter_size: int = 11,
    filter_sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
    small_images: str = 'error',
    pairs_per_chunk: int | None = None,
):
    """MS-SSIM of [B, H, W, C] image pairs with values in [0, max_val]; returns [B]. Same arguments as TF, plus
    `pairs_per_chunk` (speed only; None = the backend's default)."""
    img1, img2 = jnp.asarray(img1), jnp.asarray(img2)
    if img1.shape != img2.shape or img1.ndim != 4:
        raise ValueError(f'ms_ssim needs two [B, H, W, C] arrays of one shape; got {img1.shape} and {img2.shape}.')
    if jnp.issubdtype(img1.dtype, jnp.integer):  # TF converts uint8 to [0, 1] floats and max_val with them
        scale = float(jnp.iinfo(img1.dtype).max)
        img1, img2, max_val = img1 / scale, img2 / scale, max_val / scale
    filters = _scale_filters(img1.shape[1], img1.shape[2], len(power_factors), filter_size, filter_sigma, small_images)
    chunk = pairs_per_chunk or default_pairs_per_chunk()
    return _ms_ssim(img1, img2, float(max_val), tuple(float(p) for p in power_factors), tuple(filters), k1, k2, chunk)


def random_pairs(n: int, num_pairs: int, seed: int | tuple[int, ...]) -> np.ndarray:
    """`num_pairs` uniformly random ordered pairs (i, j), i != j, of range(n): [num_pairs, 2], seeded (a tuple of ints
    keys one stream by all of them, NumPy's SeedSequence)."""
    if n < 2:
        raise ValueError('MS-SSIM diversity needs at least 2 images.')
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, num_pairs)
    j = (i + rng.integers(1, n, num_pairs)) % n  # uniform over the n - 1 others
    return np.stack([i, j], axis=1)


def diversity(
    images, num_pairs: int = 1000, seed: int = 0, labels=None, small_images: str = 'shrink_filter', chunk: int = 250
) -> dict:
    """Mean MS-SSIM over seeded random distinct pairs of `images` ([N, H, W, C] in [-1, 1]), and 1 - that.

    Lower MS-SSIM = more diverse (AC-GAN; alpha-GAN reports 1 - MS-SSIM). Pixels go to [0, 255] with max_val 255,
    as compare_gan. With `labels`, pairs are drawn within each class too (class c's from the stream keyed (seed, 1, c),
    never another seed's) and per-class means are returned. The
    result does not depend on `chunk` (pairs are scored independently).
    """
    images = (np.asarray(images, np.float32) + 1.0) * 127.5

    def score(index_pairs):
        values = [
            np.asarray(ms_ssim(images[p[:, 0]], images[p[:, 1]], 255.0, small_images=small_images))
            for p in np.array_split(index_pairs, max(1, int(np.ceil(len(index_pairs) / chunk))))
        ]
        return float(np.mean(np.concatenate(values)))

    mean = score(random_pairs(len(images), num_pairs, seed))
    result = {'ms_ssim': mean, 'diversity': 1.0 - mean, 'num_pairs': num_pairs, 'small_images': small_images}
    if labels is not None:
        labels = np.asarray(labels)
        per_class = {}
        for c in np.unique(labels):
            members = np.flatnonzero(labels == c)
            if len(members) >= 2:
                per_class[int(c)] = score(members[random_pairs(len(members), num_pairs, (seed, 1, int(c)))])
        result['ms_ssim_per_class'] = per_class
    return result
