"""PPGN code-space sampling: the chain's update rule, the code DAE, errors, and the measured gain on ring8."""

import runpy
import tempfile

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from aegan import data, methods, samplers, trainer
from aegan.metrics.mode_coverage import mixture_coverage


def test_chain_is_eq_11_of_ppgn():
    """h <- h + eps1 (R(h) - h) + eps2 d/dh log p(y|h) + eps3 n, against a numpy loop with the same noise."""
    a, b, c = np.array([[0.5, 0.2], [-0.1, 0.8]]), np.array([0.3, -0.2]), np.array([1.0, 2.0])
    reconstruct_code = lambda h: h @ a.T + b
    class_log_prob = lambda h: -0.5 * jnp.sum((h - c) ** 2, axis=-1)  # gradient: c - h
    settings = samplers.PPGNSettings(num_steps=7, eps1=0.3, eps2=0.1, eps3=0.05)
    h0 = np.random.default_rng(0).normal(size=(5, 2))
    rng = jax.random.key(3)
    got = samplers.ppgn_chain(jnp.asarray(h0), rng, reconstruct_code, settings, class_log_prob)

    h = h0.astype(np.float64)
    for i in range(settings.num_steps):
        noise = np.asarray(jax.random.normal(jax.random.fold_in(rng, i), h.shape, jnp.float32), np.float64)
        h = h + 0.3 * (h @ a.T + b - h) + 0.1 * (c - h) + 0.05 * noise
    np.testing.assert_allclose(np.asarray(got), h, rtol=1e-5, atol=1e-5)


def test_class_term_only_acts_with_a_classifier_and_eps2():
    reconstruct_code = lambda h: h
    pull = lambda h: -jnp.sum((h - 5.0) ** 2, axis=-1)
    h0 = jnp.zeros((3, 2))
    still = samplers.PPGNSettings(num_steps=4, eps1=1.0, eps2=0.0, eps3=0.0)
    np.testing.assert_array_equal(samplers.ppgn_chain(h0, jax.random.key(0), reconstruct_code, still, pull), h0)
    moved = samplers.ppgn_chain(h0, jax.random.key(0), reconstruct_code, still._replace(eps2=0.1), pull)
    np.testing.assert_allclose(moved, 5.0 * (1 - 0.8**4), rtol=1e-6)  # h <- h + 0.1 * 2 (5 - h), 4 times


def test_code_dae_pulls_codes_to_where_the_data_codes_are():
    """Codes in two clusters (+-3); the chain with the learned DAE moves N(0, 2^2) starting points into both."""
    rng = np.random.default_rng(0)
    codes = np.concatenate([rng.normal(3, 0.1, (500, 2)), rng.normal(-3, 0.1, (500, 2))]).astype(np.float32)
    settings = samplers.PPGNSettings(num_steps=100, eps1=0.2, eps3=0.02, dae_steps=1500)
    apply, params = samplers.train_code_dae(codes, jax.random.key(0), settings)
    denoise = lambda h: apply(params, h)
    h0 = 2.0 * jax.random.normal(jax.random.key(1), (400, 2))
    h = np.asarray(samplers.ppgn_chain(h0, jax.random.key(2), denoise, settings))
    near = np.minimum(np.linalg.norm(h - 3, axis=1), np.linalg.norm(h + 3, axis=1)) < 0.5
    start_near = np.minimum(np.linalg.norm(h0 - 3, axis=1), np.linalg.norm(h0 + 3, axis=1)) < 0.5
    assert near.mean() > 0.9 and start_near.mean() < 0.2, (near.mean(), start_near.mean())
    assert 0.2 < np.mean(h[near, 0] > 0) < 0.8  # both clusters are populated


def test_sampler_errors(config_factory):
    config = config_factory('ring8', 'dcgan')
    method = methods.get_method(config, (2,))
    with pytest.raises(ValueError, match="Unknown sampler='mcmc'; valid choices"):
        samplers.make_sampler('mcmc', method, None)
    with pytest.raises(ValueError, match="method='dcgan' has none.*--sampler=prior"):
        samplers.make_sampler('ppgn', method, None)
    ae = methods.get_method(config_factory('ring8', 'ae'), (2,))
    with pytest.raises(ValueError, match="prior_model='langevin'"):
        samplers.make_sampler('ppgn', ae, None, samplers.PPGNSettings(prior_model='langevin'))
    with pytest.raises(ValueError, match='eps3=-1.0 must be >= 0'):
        samplers.make_sampler('ppgn', ae, None, samplers.PPGNSettings(eps3=-1.0))
    with pytest.raises(ValueError, match='needs training data'):
        samplers.make_sampler('ppgn', ae, None, samplers.PPGNSettings(prior_model='dae'))


def test_ppgn_turns_a_ring8_autoencoder_into_a_sampler(repo):
    """An AE's codes do not match N(0, I), so its prior samples miss the ring; the PPGN chain finds the modes.

    Measured here (experiments/ae_ring8.py with its cosine decay over 3,000 steps, seed 0, key 7): prior 6/8 modes,
    0.3% high quality; PPGN (the defaults, DAE key fold_in(key(0), 1)) 8/8 modes, 34.2%.
    """
    config = runpy.run_path(str(repo / 'experiments' / 'ae_ring8.py'))['get_config']()
    config.num_train_steps = 3000  # the test's budget; the config's 10,000 are for the study
    config.log_every_steps = config.sample_every_steps = config.checkpoint_every_steps = config.num_train_steps
    with tempfile.TemporaryDirectory() as workdir:
        state = trainer.train_and_evaluate(config, workdir, devices=jax.devices()[:1])
    state = jax.device_put(state, jax.devices()[0])
    dataset = data.get_dataset(config.data)
    method = methods.get_method(config, dataset.shape)
    coverage = {}
    for name in samplers.SAMPLERS:
        sample = samplers.make_sampler(name, method, state, train_data=dataset.global_batch(0, 0, 10_000))
        points = np.asarray(sample(jax.random.key(7), 2500))
        coverage[name] = mixture_coverage(points, dataset.info['centers'], dataset.info['std'])
    prior, ppgn = coverage['prior'], coverage['ppgn']
    assert ppgn['modes'] >= 7 and ppgn['high_quality_fraction'] > 0.05, coverage
    assert ppgn['high_quality_fraction'] > 5 * prior['high_quality_fraction'], coverage
