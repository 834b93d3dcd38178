"""The Flax port of the 2015-12-05 Inception: structure, weight conversion, legacy resize (docs/metrics.md)."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from aegan import images
from aegan.metrics import convert_inception, inception

# docs/metrics.md, torch layout.
TORCH_SHAPES = {
    'Conv2d_1a_3x3.conv.weight': (32, 3, 3, 3),
    'Conv2d_4a_3x3.conv.weight': (192, 80, 3, 3),
    'Mixed_5b.branch5x5_2.conv.weight': (64, 48, 5, 5),
    'Mixed_5b.branch_pool.conv.weight': (32, 192, 1, 1),
    'Mixed_6a.branch3x3.conv.weight': (384, 288, 3, 3),
    'Mixed_6b.branch7x7_2.conv.weight': (128, 128, 1, 7),
    'Mixed_6b.branch7x7_3.conv.weight': (192, 128, 7, 1),
    'Mixed_7a.branch3x3_2.conv.weight': (320, 192, 3, 3),
    'Mixed_7b.branch3x3_2a.conv.weight': (384, 384, 1, 3),
    'Mixed_7c.branch_pool.conv.weight': (192, 2048, 1, 1),
    'fc.weight': (1008, 2048),
    'fc.bias': (1008,),
}


def make_fake_state_dict(seed=0):
    """Random values under the real torch key names and shapes (derived from the Flax tree, checked against §2.4)."""
    shapes = jax.eval_shape(inception.InceptionV3().init, jax.random.key(0), jnp.zeros((1, 299, 299, 3)))
    rng = np.random.default_rng(seed)
    state = {}
    to_torch = {'scale': 'weight', 'bias': 'bias', 'mean': 'running_mean', 'var': 'running_var'}
    for path, leaf in jax.tree_util.tree_flatten_with_path(shapes)[0]:
        keys = [p.key for p in path]
        collection, *names, last = keys
        if names[0] == 'fc':
            shape = leaf.shape[::-1] if last == 'kernel' else leaf.shape
            state['fc.' + ('weight' if last == 'kernel' else 'bias')] = rng.normal(0, 0.02, shape)
        elif last == 'kernel':
            h, w, i, o = leaf.shape
            state['.'.join(names) + '.weight'] = rng.normal(0, np.sqrt(2 / (h * w * i)), (o, i, h, w))
        else:
            value = rng.uniform(0.5, 1.5, leaf.shape) if last in ('scale', 'var') else rng.normal(0, 0.1, leaf.shape)
            state['.'.join(names) + '.' + to_torch[last]] = value
    state['Conv2d_1a_3x3.bn.num_batches_tracked'] = np.array(0)  # present in some .pth files; dropped
    return {k: np.asarray(v, np.float32) for k, v in state.items()}


@pytest.fixture(scope='module')
def fake_state_dict():
    return make_fake_state_dict()


def test_published_structure(fake_state_dict):
    shapes = jax.eval_shape(inception.InceptionV3().init, jax.random.key(0), jnp.zeros((1, 299, 299, 3)))
    params = jax.tree_util.tree_flatten_with_path(shapes['params'])[0]
    assert sum(1 for path, _ in params if path[-1].key == 'kernel' and path[-2].key == 'conv') == 94
    assert sum(int(np.prod(leaf.shape)) for _, leaf in params) == 23_850_960
    assert sum(int(np.prod(leaf.shape)) for leaf in jax.tree.leaves(shapes['batch_stats'])) == 34_432
    assert sum(1 for k in fake_state_dict if k != 'Conv2d_1a_3x3.bn.num_batches_tracked') == 472
    for key, shape in TORCH_SHAPES.items():
        assert fake_state_dict[key].shape == shape, key
    out = jax.eval_shape(inception.InceptionV3().apply, shapes, jnp.zeros((2, 299, 299, 3)))
    assert out['pool3'].shape == (2, 2048) and out['logits_unbiased'].shape == (2, 1008)


class PlainBasicConv2d(nn.Module):
    """The textbook block (nn.Conv -> nn.BatchNorm -> ReLU) that `inception.BasicConv2d` computes faster."""

    features: int
    kernel: tuple
    strides: tuple = (1, 1)
    padding: tuple = (0, 0)

    @nn.compact
    def __call__(self, x):
        (ph, pw) = self.padding
        pad = ((ph, ph), (pw, pw))
        x = nn.Conv(self.features, tuple(self.kernel), tuple(self.strides), pad, use_bias=False, name='conv')(x)
        return nn.relu(nn.BatchNorm(use_running_average=True, epsilon=1e-3, name='bn')(x))


def test_folded_fast_blocks_equal_the_plain_network(monkeypatch, fake_state_dict):
    """Folded BatchNorm, merged 1x1 convs, pool-after-conv and pad-and-crop VALID convs: same outputs up to rounding."""
    variables = inception.nest_variables(convert_inception.convert(fake_state_dict))
    x = inception.preprocess(np.random.default_rng(3).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8))
    fast = inception.InceptionV3().apply(variables, x)
    monkeypatch.setattr(inception, 'BasicConv2d', PlainBasicConv2d)
    monkeypatch.setattr(
        inception,
        'pointwise_branches',
        lambda x, blocks, pooled=None: (
            [block(x) for block in blocks] + ([pooled(inception.avg_pool_3x3(x))] if pooled else [])
        ),
    )
    plain = inception.InceptionV3().apply(variables, x)
    for name in ('pool3', 'logits_unbiased', 'logits'):
        scale = float(jnp.max(jnp.abs(plain[name])))
        np.testing.assert_allclose(fast[name], plain[name], rtol=0, atol=1e-5 * scale, err_msg=name)


def test_converter_round_trip_and_layers(tmp_path, fake_state_dict):
    source = str(tmp_path / 'torch_names.npz')
    np.savez(source, **fake_state_dict)
    output = str(tmp_path / 'inception.npz')
    convert_inception.convert_file(source, output)
    variables = inception.load_variables(output)

    # One conv block against numpy: OIHW correlation (stride 2, valid), BatchNorm eps 1e-3, ReLU.
    x = np.random.default_rng(1).normal(size=(1, 9, 9, 3)).astype(np.float32)
    block_vars = {c: variables[c]['Conv2d_1a_3x3'] for c in ('params', 'batch_stats')}
    got = np.asarray(inception.BasicConv2d(32, (3, 3), (2, 2)).apply(block_vars, jnp.asarray(x)))
    w = fake_state_dict['Conv2d_1a_3x3.conv.weight'].astype(np.float64)
    conv = np.zeros((4, 4, 32))
    for i in range(4):
        for j in range(4):
            patch = x[0, 2 * i : 2 * i + 3, 2 * j : 2 * j + 3, :].astype(np.float64)  # H, W, I
            conv[i, j] = np.einsum('hwi,oihw->o', patch, w)
    bn = {k: fake_state_dict[f'Conv2d_1a_3x3.bn.{k}'] for k in ('weight', 'bias', 'running_mean', 'running_var')}
    expected = (conv - bn['running_mean']) / np.sqrt(bn['running_var'] + 1e-3) * bn['weight'] + bn['bias']
    np.testing.assert_allclose(got[0], np.maximum(expected, 0), rtol=1e-4, atol=1e-4)

    # Branch average pools do not count padding: a constant image stays constant at the border.
    np.testing.assert_allclose(inception.avg_pool_3x3(jnp.full((1, 5, 5, 2), 3.0)), 3.0, rtol=1e-6)

    # The whole net on a 32x32 uint8 image; IS uses pool3 @ fc.weight.T, without the bias.
    image = np.random.default_rng(2).integers(0, 256, (1, 32, 32, 3), dtype=np.uint8)
    out = {k: np.asarray(v, np.float64) for k, v in inception.features_of(variables, image).items()}
    assert np.isfinite(out['pool3']).all() and out['pool3'].shape == (1, 2048)
    unbiased = out['pool3'] @ fake_state_dict['fc.weight'].T.astype(np.float64)
    np.testing.assert_allclose(out['logits_unbiased'], unbiased, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out['logits'], unbiased + fake_state_dict['fc.bias'], rtol=1e-4, atol=1e-4)
    assert not np.allclose(out['logits'], out['logits_unbiased'])


def test_weights_errors(tmp_path, fake_state_dict):
    with pytest.raises(FileNotFoundError, match='pt_inception-2015-12-05-6726825d.pth.*convert_inception'):
        inception.load_variables(str(tmp_path / 'missing.npz'))
    broken = dict(fake_state_dict)
    broken['fc.weight'] = broken['fc.weight'][:1000]
    np.savez(tmp_path / 'broken.npz', **broken)
    with pytest.raises(ValueError, match='not a converted 2015-12-05 Inception'):
        convert_inception.convert_file(str(tmp_path / 'broken.npz'), str(tmp_path / 'out.npz'))
    assert not (tmp_path / 'out.npz').exists()
    with pytest.raises(ValueError, match='Unexpected key'):
        convert_inception.convert({'AuxLogits.fc.weight': np.zeros(1)})


def numpy_tf1_resize(image, size):
    """TF1 ResizeBilinear (align_corners=False, half_pixel_centers=False) of one [H, W, C] image, float64 loops."""
    h, w, _ = image.shape
    out = np.zeros((size, size, image.shape[2]))
    for i in range(size):
        sy = i * h / size
        y0 = int(np.floor(sy))
        y1, fy = min(y0 + 1, h - 1), sy - y0
        for j in range(size):
            sx = j * w / size
            x0 = int(np.floor(sx))
            x1, fx = min(x0 + 1, w - 1), sx - x0
            top = image[y0, x0] + (image[y0, x1] - image[y0, x0]) * fx
            bottom = image[y1, x0] + (image[y1, x1] - image[y1, x0]) * fx
            out[i, j] = top + (bottom - top) * fy
    return out


def test_legacy_resize_is_tf1_bilinear_not_jax_image_resize():
    image = np.random.default_rng(0).integers(0, 256, (1, 32, 28, 3)).astype(np.float32)
    ours = np.asarray(inception.legacy_resize_bilinear(jnp.asarray(image), 299))
    np.testing.assert_allclose(ours[0], numpy_tf1_resize(image[0].astype(np.float64), 299), atol=1e-4)
    modern = np.asarray(jax.image.resize(jnp.asarray(image), (1, 299, 299, 3), 'bilinear'))
    assert np.abs(ours - modern).max() > 10
    assert images.to_uint8(np.array([-1.0, -0.99, 0.0, 1.0, 2.0])).tolist() == [0, 1, 128, 255, 255]


def test_the_parity_record_is_of_the_current_metric_code(repo):
    """results/parity holds the agreement with torch-fidelity / pytorch-fid / prdc (tests/parity.py, which needs the
    parity extra and is not run by CI). It records the sha256 of the code it vouches for; when that code changes, the
    record no longer describes it and must be measured again."""
    import json

    record = json.loads((repo / 'results' / 'parity' / 'parity.json').read_text())
    assert 'src/aegan/metrics/inception.py' in record['sources']
    for path, digest in record['sources'].items():
        assert inception.sha256_of(repo / path) == digest, (
            f'{path} changed since results/parity was measured: run '
            "pip install -e '.[parity]' && python tests/parity.py results/parity"
        )
    assert record['table'] and all(r['difference'] <= r['tolerance'] for r in record['table'])


@pytest.mark.parametrize('shape', [(2, 17, 17, 5), (1, 8, 11, 3)])
def test_separable_pools_equal_flax_reduce_window(shape):
    """The network's 3x3 pools (strided slices along H, then W) against Flax's reduce-window pools."""
    x = jnp.asarray(np.random.default_rng(0).normal(size=shape), jnp.float32)
    np.testing.assert_allclose(
        inception.avg_pool_3x3(x), nn.avg_pool(x, (3, 3), (1, 1), ((1, 1), (1, 1)), count_include_pad=False), atol=1e-6
    )
    np.testing.assert_array_equal(inception.max_pool_3x3_s2(x), nn.max_pool(x, (3, 3), (2, 2), 'VALID'))
    np.testing.assert_array_equal(inception.max_pool_3x3_same(x), nn.max_pool(x, (3, 3), (1, 1), ((1, 1), (1, 1))))
