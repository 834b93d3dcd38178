"""Each loss term against a value computed by hand (softplus / sigmoid written out in numpy float64)."""

import numpy as np
import pytest

from aegan import losses
from aegan.methods import alphagan

LOGITS = np.array([-2.0, 0.0, 3.0], np.float32)


def neg_log_sigmoid(t):
    return np.log1p(np.exp(-np.asarray(t, np.float64)))


def test_bce_terms_by_hand():
    # -log sigmoid(0) = log 2; -log sigmoid(3) = log(1 + e^-3); -log(1 - sigmoid(-2)) = -log sigmoid(2).
    expected_real = (np.log(1 + np.exp(2.0)) + np.log(2.0) + np.log(1 + np.exp(-3.0))) / 3
    expected_fake = (np.log(1 + np.exp(-2.0)) + np.log(2.0) + np.log(1 + np.exp(3.0))) / 3
    assert float(losses.bce_real(LOGITS)) == pytest.approx(expected_real, rel=1e-6)
    assert float(losses.bce_fake(LOGITS)) == pytest.approx(expected_fake, rel=1e-6)


def test_logit_loss_is_minus_log_density_ratio():
    probs = 1 / (1 + np.exp(-LOGITS.astype(np.float64)))
    expected = -np.mean(np.log(probs) - np.log(1 - probs))  # -E[log D - log(1 - D)]
    assert float(losses.logit_loss(LOGITS)) == pytest.approx(expected, rel=1e-6)


def test_losses_finite_for_extreme_logits():
    extreme = np.array([-1e4, 1e4], np.float32)
    # softplus(1e4) = 1e4 and softplus(-1e4) = 0 exactly in float32: each cross-entropy is (1e4 + 0) / 2.
    assert float(losses.bce_real(extreme)) == float(losses.bce_fake(extreme)) == 5000.0
    assert float(losses.logit_loss(extreme)) == 0.0
    assert float(losses.bce_real(np.array([1e4], np.float32))) == 0.0


def test_reconstruction_terms():
    x = np.array([[0.0, 1.0], [-1.0, 0.5]], np.float32)
    y = np.array([[0.5, 1.0], [1.0, 0.0]], np.float32)
    assert float(losses.l1(x, y)) == pytest.approx((0.5 + 0 + 2 + 0.5) / 4)
    assert float(losses.l2(x, y)) == pytest.approx((0.25 + 0 + 4 + 0.25) / 4)


def test_alphagan_encoder_generator_and_joint_losses_by_hand():
    x = np.array([[0.0, 1.0]], np.float32)
    x_rec = np.array([[0.5, 0.0]], np.float32)
    d_rec, d_gen, c_hat = np.array([1.0], np.float32), np.array([-0.5], np.float32), np.array([2.0], np.float32)
    # lambda * L1 = 4 * mean(|0-0.5|, |1-0|) = 3.0; -logit terms: D(rec) -1.0, D(gen) +0.5, C(codes) -2.0.
    assert float(alphagan.encoder_loss(x, x_rec, c_hat, lambda_rec=4.0)) == pytest.approx(3.0 - 2.0)
    assert float(alphagan.generator_loss(x, x_rec, d_rec, d_gen, lambda_rec=4.0)) == pytest.approx(3.0 - 1.0 + 0.5)
    assert float(alphagan.joint_loss(x, x_rec, d_rec, d_gen, c_hat, lambda_rec=4.0)) == pytest.approx(0.5)


def test_alphagan_discriminator_loss_by_hand():
    d_real, d_rec, d_gen = (np.array([v], np.float32) for v in (1.5, -0.5, 0.25))
    expected = neg_log_sigmoid(1.5) + neg_log_sigmoid(0.5) + neg_log_sigmoid(-0.25)  # 1 - sigmoid(t) = sigmoid(-t)
    assert float(alphagan.discriminator_loss(d_real, d_rec, d_gen)) == pytest.approx(float(expected), rel=1e-6)


def test_alphagan_code_discriminator_prior_is_real():
    # Corrected sign (v1 eqs. 16-17 swapped): prior codes are labelled 1, encoder codes 0.
    c_prior, c_hat = np.array([2.0], np.float32), np.array([-1.0], np.float32)
    expected = neg_log_sigmoid(2.0) + neg_log_sigmoid(1.0)
    assert float(alphagan.code_discriminator_loss(c_prior, c_hat)) == pytest.approx(float(expected), rel=1e-6)
    # Swapping the roles must cost more here: a C that already says "prior is real" has a low loss.
    assert float(alphagan.code_discriminator_loss(c_hat, c_prior)) > float(expected)
