"""UpConv equals a 4x4 / stride-2 / pad-1 transposed convolution and DownConv the convolution, with their gradients;
the DCGAN nets produce the right shapes."""

import chex
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from aegan.nets import DownConv, Downsampler, Generator, UpConv, layers


def conv_transpose_reference(x, kernel, bias):
    """Direct scatter definition (PyTorch ConvTranspose2d, stride 2, padding 1): out[2m - 1 + k] += x[m] K[k]."""
    n, h, w, _ = x.shape
    out = np.zeros((n, 2 * h + 2, 2 * w + 2, kernel.shape[-1]))
    for i in range(h):
        for j in range(w):
            for ki in range(4):
                for kj in range(4):
                    out[:, 2 * i + ki, 2 * j + kj] += x[:, i, j] @ kernel[ki, kj]
    return out[:, 1 : 2 * h + 1, 1 : 2 * w + 1] + bias


ALGORITHMS = ['phases', 'matmul']


@pytest.mark.parametrize('algorithm', ALGORITHMS)
@pytest.mark.parametrize('shape', [(2, 3, 5, 4), (1, 4, 4, 2)])
def test_upconv_equals_transposed_convolution(shape, algorithm):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    layer = UpConv(3, kernel_init=jax.nn.initializers.normal(1.0), algorithm=algorithm)
    variables = layer.init(jax.random.key(0), x)
    variables = jax.tree.map(lambda v: v + 0.1, variables)  # non-zero bias
    got = np.asarray(layer.apply(variables, x))
    want = conv_transpose_reference(
        x, np.asarray(variables['params']['kernel']), np.asarray(variables['params']['bias'])
    )
    np.testing.assert_allclose(got, want, atol=1e-5)


@pytest.mark.parametrize('algorithm', ALGORITHMS)
def test_upconv_gradients_match_lax_conv_transpose(algorithm):
    x = jax.random.normal(jax.random.key(1), (2, 4, 5, 3))  # h != w: a swapped axis in the backward pass fails
    layer = UpConv(2, use_bias=False, algorithm=algorithm)
    params = layer.init(jax.random.key(2), x)
    kernel = params['params']['kernel']

    def reference(k, x):  # the same map via lax.conv_transpose with a flipped kernel
        return jax.lax.conv_transpose(
            x, k[::-1, ::-1], (2, 2), ((2, 2), (2, 2)), dimension_numbers=('NHWC', 'HWIO', 'NHWC')
        )

    g_ours = jax.grad(lambda k, x: jnp.sum(jnp.sin(layer.apply({'params': {'kernel': k}}, x))), argnums=(0, 1))(
        kernel, x
    )
    g_ref = jax.grad(lambda k, x: jnp.sum(jnp.sin(reference(k, x))), argnums=(0, 1))(kernel, x)
    for a, b in zip(g_ours, g_ref):
        np.testing.assert_allclose(a, b, atol=1e-4)


def test_upconv_algorithms_share_one_parameter_layout_and_an_unknown_one_is_a_clear_error():
    x = jnp.zeros((1, 2, 2, 3))
    shapes = [jax.tree.map(jnp.shape, UpConv(2, algorithm=a).init(jax.random.key(0), x)) for a in ALGORITHMS]
    assert shapes[0] == shapes[1]  # a checkpoint from a TPU ('phases') loads on a CPU or GPU ('matmul')
    with pytest.raises(ValueError, match="algorithm='fft'.*'phases', 'matmul'"):
        UpConv(2, algorithm='fft').init(jax.random.key(0), x)


@pytest.mark.parametrize('backend, expected', [('cpu', 'matmul'), ('gpu', 'matmul'), ('tpu', 'phases')])
def test_auto_layers_are_the_ones_measured_faster_on_each_backend(monkeypatch, backend, expected):
    # 'matmul' measured faster on XLA:CPU and on an H200; nothing was measured on a TPU (benchmarks/README.md).
    monkeypatch.setattr(jax, 'default_backend', lambda: backend)
    assert layers.upconv_algorithm() == expected


@pytest.mark.parametrize('algorithm', layers.DOWNCONV_ALGORITHMS)
def test_downconv_and_its_gradients_equal_flax_conv(algorithm):
    x = jax.random.normal(jax.random.key(1), (2, 8, 6, 3))  # h != w
    reference = nn.Conv(5, (4, 4), strides=(2, 2), padding=((1, 1), (1, 1)))
    variables = jax.tree.map(lambda v: v + 0.1, reference.init(jax.random.key(2), x))  # non-zero bias
    layer = DownConv(5, algorithm=algorithm)
    assert jax.tree.map(jnp.shape, layer.init(jax.random.key(2), x)) == jax.tree.map(jnp.shape, variables)

    def loss(module):
        return lambda v, x: jnp.sum(jnp.sin(module.apply(v, x)))

    np.testing.assert_allclose(layer.apply(variables, x), reference.apply(variables, x), atol=1e-6)
    ours = jax.grad(loss(layer), argnums=(0, 1))(variables, x)
    want = jax.grad(loss(reference), argnums=(0, 1))(variables, x)
    chex.assert_trees_all_close(ours, want, atol=1e-5)


def test_downconv_auto_keeps_the_convolution_gradient_for_odd_sizes_and_names_bad_choices():
    x = jax.random.normal(jax.random.key(1), (1, 7, 7, 2))  # UpConv's output would be 6x6: no matmul gradient
    reference = nn.Conv(3, (4, 4), strides=(2, 2), padding=((1, 1), (1, 1)), use_bias=False)
    variables = reference.init(jax.random.key(2), x)
    ours = jax.grad(lambda x: jnp.sum(DownConv(3, use_bias=False).apply(variables, x) ** 2))(x)
    want = jax.grad(lambda x: jnp.sum(reference.apply(variables, x) ** 2))(x)
    np.testing.assert_allclose(ours, want, atol=1e-5)
    with pytest.raises(ValueError, match="algorithm='fft'.*'conv', 'matmul_input_grad', 'patches'"):
        DownConv(2, algorithm='fft').init(jax.random.key(0), x)
    with pytest.raises(ValueError, match="algorithm='patches' needs an even height and width"):
        DownConv(2, algorithm='patches').init(jax.random.key(0), x)


@pytest.mark.parametrize(
    'backend, shape, expected',
    [
        ('cpu', (2, 28, 28, 3), 'patches'),  # a first layer on images
        ('cpu', (2, 14, 14, 32), 'matmul_input_grad'),
        ('cpu', (2, 7, 7, 3), 'conv'),
        ('gpu', (2, 28, 28, 3), 'matmul_input_grad'),  # 'patches' was not measured on a GPU
        ('tpu', (2, 28, 28, 3), 'conv'),
    ],
)
def test_downconv_auto_is_the_algorithm_measured_faster(monkeypatch, backend, shape, expected):
    monkeypatch.setattr(jax, 'default_backend', lambda: backend)
    assert layers.downconv_algorithm(shape) == expected


@pytest.mark.parametrize('size,channels', [(28, 3), (32, 3), (64, 3), (28, 1)])
def test_dcgan_shapes(size, channels):
    """Shapes only, so traced (`jax.eval_shape`), not run: op by op, the same check took 10 s a size."""
    z = jnp.zeros((2, 8))
    gen = Generator(size, channels, width=4)
    images, _ = jax.eval_shape(lambda: gen.init_with_output(jax.random.key(0), z, train=False))
    assert images.shape == (2, size, size, channels)
    down = Downsampler(1, size, width=4)
    logits, _ = jax.eval_shape(lambda: down.init_with_output(jax.random.key(0), jnp.zeros(images.shape), train=False))
    assert logits.shape == (2, 1)


def test_unsupported_image_size_is_a_clear_error():
    with pytest.raises(ValueError, match='image_size=48'):
        Generator(48, 3).init(jax.random.key(0), jnp.zeros((1, 4)), train=False)


def test_the_critics_layer_norm_removes_each_examples_mean_and_variance_over_c_h_w():
    """Gulrajani et al.'s critic (tflib Layernorm over [1, 2, 3] of NCHW): each example's statistics over C, H, W are
    removed, a pixel's brightness relative to the others is kept, and scale/offset are per channel. Read through the
    critic's own Downsampler(norm='layer'), at its second layer."""
    critic = Downsampler(1, 28, width=4, norm='layer')
    x = jax.random.normal(jax.random.key(0), (3, 28, 28, 1)) * jnp.linspace(0.5, 3, 28)[:, None, None]
    variables = critic.init(jax.random.key(1), x)
    assert variables['params']['LayerNorm_0']['scale'].shape == (8,)
    _, state = critic.apply(variables, x, capture_intermediates=True, mutable=['intermediates'])
    h = np.asarray(state['intermediates']['Conv_1']['__call__'][0], np.float64)
    mean, var = h.mean(axis=(1, 2, 3), keepdims=True), h.var(axis=(1, 2, 3), keepdims=True)
    np.testing.assert_allclose(
        state['intermediates']['LayerNorm_0']['__call__'][0], (h - mean) / np.sqrt(var + 1e-5), rtol=1e-4, atol=1e-5
    )
