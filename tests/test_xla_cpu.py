"""The metrics' XLA:CPU compiler options: applied to the compiled programs, rejected options fall back, same results."""

import jax
import numpy as np
from test_inception import make_fake_state_dict

from aegan import xla_cpu
from aegan.metrics import inception, ms_ssim
from aegan.metrics.convert_inception import convert

LIBRARY_FUSION = '__ynn_fusion'  # how XLA:CPU marks the work it hands to YNNPACK in an optimised program


def static_arguments(size):
    """What `ms_ssim.ms_ssim` passes `_ms_ssim` after the two images, for TF's defaults at `size` px."""
    return 255.0, ms_ssim.POWER_FACTORS, tuple(ms_ssim._scale_filters(size, size, 5, 11, 1.5, 'error')), 0.01, 0.03, 4


def compiled_text(jitted, *args):
    return jitted.lower(*args).compile().as_text()


def test_the_metric_programs_are_compiled_without_library_fusions():
    """XLA's defaults hand convolutions and reductions to YNNPACK; the metrics' programs must not (xla_cpu.py)."""
    assert xla_cpu.metric_options() == xla_cpu.NO_LIBRARY_FUSIONS  # this jaxlib accepts the option
    variables = inception.nest_variables(convert(make_fake_state_dict()))
    images = np.zeros((2, 32, 32, 3), np.uint8)
    assert LIBRARY_FUSION in compiled_text(inception.features_of.jitted(xla_defaults=True), variables, images)
    assert LIBRARY_FUSION not in compiled_text(inception.features_of.jitted(), variables, images)
    pairs = np.zeros((2, 176, 176, 3), np.float32)
    assert LIBRARY_FUSION not in compiled_text(ms_ssim._ms_ssim.jitted(), pairs, pairs, *static_arguments(176))


def test_an_option_xla_does_not_know_is_reported_and_left_out(caplog):
    assert not xla_cpu.accepted({'xla_cpu_no_such_option': 'x'})
    assert 'xla_cpu_no_such_option' in caplog.text
    assert xla_cpu.accepted(xla_cpu.NO_LIBRARY_FUSIONS)


def test_the_options_change_speed_not_results():
    """Inception features and MS-SSIM with the options equal XLA's defaults to float32 rounding."""
    variables = inception.nest_variables(convert(make_fake_state_dict()))
    images = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    ours = inception.features_of(variables, images)
    default = inception.features_of.jitted(xla_defaults=True)(variables, images)
    for name in ours:
        scale = float(np.abs(default[name]).max())
        np.testing.assert_allclose(np.asarray(ours[name]), np.asarray(default[name]), atol=1e-5 * scale)
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 255, (3, 176, 176, 3)).astype(np.float32)
    y = np.clip(x + rng.normal(0, 20, x.shape), 0, 255).astype(np.float32)
    default = ms_ssim._ms_ssim.jitted(xla_defaults=True)(x, y, *static_arguments(176))
    np.testing.assert_allclose(np.asarray(ms_ssim.ms_ssim(x, y, 255.0)), np.asarray(default), atol=1e-5)  # the TF bound


def test_the_eval_runs_inception_with_the_options(tmp_path, monkeypatch):
    """`inception_features.inception_features` calls the metric's own jit; a jit around it would drop its options."""
    from aegan.evaluators import inception_features

    state_dict_path = tmp_path / 'weights.npz'
    np.savez(state_dict_path, **convert(make_fake_state_dict()))
    calls = []
    real = inception.features_of
    monkeypatch.setattr(
        inception,
        'features_of',
        lambda variables, images: calls.append(isinstance(images, jax.core.Tracer)) or real(variables, images),
    )
    features = inception_features.inception_features(str(state_dict_path), [np.zeros((3, 32, 32, 3), np.float32)])
    assert features['pool3'].shape == (3, 2048)
    assert calls and not any(calls)  # called with concrete arrays: compiled by its own jit, with the options


def test_inside_another_jit_the_metric_is_inlined():
    variables = inception.nest_variables(convert(make_fake_state_dict()))
    images = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    inlined = jax.jit(inception.features_of)(variables, images)['pool3']
    np.testing.assert_allclose(
        np.asarray(inlined), np.asarray(inception.features_of(variables, images)['pool3']), atol=1e-4
    )
