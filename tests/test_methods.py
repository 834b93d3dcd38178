"""Every method: losses against hand-computed values, and one update identical on 1 and 4 devices."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import PartitionSpec as P
from test_parallel import assert_same_update_on_1_and_4_devices, with_sgd

from aegan import methods, parallel
from aegan.methods import aae, ae, age, dcgan, vae, wgan_gp

TOLERANCE = dict(rtol=1e-5, atol=1e-5)


def neg_log_sigmoid(t):
    return float(np.log1p(np.exp(-t)))


GENERATIVE_CASES = [
    (m, d) for m in sorted(set(methods.METHODS) - {'alphagan', 'classifier'}) for d in ('ring8', 'stacked_mnist')
]


# alphagan: test_parallel.py (with XLA's default optimizations); the classifier needs labels, so it runs on MNIST.
@pytest.mark.usefixtures('fast_compile')
@pytest.mark.parametrize('method_name,dataset_name', [*GENERATIVE_CASES, ('classifier', 'mnist')])
def test_one_and_four_devices_give_the_same_update(config_factory, method_name, dataset_name):
    # Plain SGD: Adam would divide a wrong gradient scale out (test_parallel.py shows the test catches one).
    config = with_sgd(config_factory(dataset_name, method_name))
    if method_name == 'classifier':  # the mode counter's recipe: its random transforms must not depend on the devices
        config.classifier.augment = dict(max_shift=3.0, max_degrees=15.0)
    method, dataset, state1 = assert_same_update_on_1_and_4_devices(config, num_steps=1, tolerance=TOLERANCE)
    # The method's samplers run outside shard_map and give data of the right shape.
    if method.sample is not None:
        assert method.sample(state1, jax.random.key(0), 3).shape == (3, *dataset.shape)
    if method.classify is not None:
        assert method.classify(state1, jnp.asarray(dataset.test_data[:3])).shape == (3, config.classifier.num_classes)
    if method.reconstruct is not None:
        assert method.reconstruct(state1, jnp.asarray(dataset.test_data[:3])).shape == (3, *dataset.shape)


def test_ae_reconstruction_by_hand():
    x, y = np.array([[0.0, 1.0]], np.float32), np.array([[1.0, -1.0]], np.float32)
    assert float(ae.reconstruction_loss(x, y, 'l1')) == pytest.approx(1.5)
    assert float(ae.reconstruction_loss(x, y, 'l2')) == pytest.approx(2.5)


def test_vae_negative_elbo_by_hand():
    x = np.array([[0.5, -0.5]], np.float32)
    x_mean = np.array([[0.0, 0.0]], np.float32)
    mean, log_var = np.array([[1.0]], np.float32), np.array([[np.log(0.5)]], np.float32)
    loss, terms = vae.negative_elbo(x, x_mean, mean, log_var, 'gaussian', scale=0.5)
    nll = 2 * (0.5 * 1.0 + 0.5 * np.log(2 * np.pi * 0.25))  # each pixel: ((0.5 / 0.5)^2 + log 2πσ²) / 2
    kl = -0.5 * (1 + np.log(0.5) - 1.0 - 0.5)
    assert float(terms['nll']) == pytest.approx(nll, rel=1e-6)
    assert float(terms['kl']) == pytest.approx(kl, rel=1e-6)
    assert float(loss) == pytest.approx(nll + kl, rel=1e-6)
    _, laplace = vae.negative_elbo(x, x_mean, mean, log_var, 'laplace', scale=0.5)
    assert float(laplace['nll']) == pytest.approx(2 * (1.0 + np.log(1.0)), abs=1e-6)


def test_dcgan_losses_by_hand():
    d_real, d_fake = np.array([2.0], np.float32), np.array([-1.0], np.float32)
    assert float(dcgan.discriminator_loss(d_real, d_fake)) == pytest.approx(neg_log_sigmoid(2.0) + neg_log_sigmoid(1.0))
    assert float(dcgan.generator_loss(d_fake)) == pytest.approx(neg_log_sigmoid(-1.0))  # -log D(G(z))


def test_wgan_gp_losses_by_hand():
    from aegan import losses

    w = jnp.array([3.0, 4.0])  # linear critic: gradient w everywhere, norm 5 -> penalty (5 - 1)^2 = 16
    penalty = losses.gradient_penalty(lambda x: x @ w, jnp.ones((3, 2)))
    assert float(penalty) == pytest.approx(16.0, rel=1e-5)
    d_real, d_fake = np.array([1.0, 3.0], np.float32), np.array([-1.0, 0.0], np.float32)
    assert float(wgan_gp.critic_loss(d_real, d_fake, penalty, 10.0)) == pytest.approx(-0.5 - 2.0 + 160.0, rel=1e-5)


def test_aae_losses_by_hand():
    c_prior, c_code = np.array([0.5], np.float32), np.array([1.5], np.float32)
    expected = neg_log_sigmoid(0.5) + neg_log_sigmoid(-1.5)
    assert float(aae.code_discriminator_loss(c_prior, c_code)) == pytest.approx(expected, rel=1e-6)
    assert float(aae.encoder_adversarial_loss(c_code)) == pytest.approx(neg_log_sigmoid(1.5), rel=1e-6)


def test_age_losses_by_hand():
    codes = np.array([[1.0, 0.0], [-1.0, 2.0]], np.float32)  # dim 0: m 0, s 1; dim 1: m 1, s 1
    kl = np.mean([(1 + 0) / 2 - 0 - 0.5, (1 + 1) / 2 - 0 - 0.5])  # = 0.25
    from aegan import losses

    assert float(losses.batch_gaussian_kl(codes)) == pytest.approx(kl, rel=1e-6)
    x, x_rec = np.zeros((1, 2), np.float32), np.ones((1, 2), np.float32)
    loss, _ = age.encoder_loss(x, x_rec, codes, codes, mu=10.0)
    assert float(loss) == pytest.approx(0.25 - 0.25 + 10.0, rel=1e-6)  # KL_real - KL_fake + mu * L1
    z = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    loss, terms = age.generator_loss(z, np.array([[0.0, 2.0], [0.0, 3.0]], np.float32), lam=100.0)
    assert float(terms['latent_cos']) == pytest.approx(0.5)  # cos = 0 and 1
    assert float(loss) == pytest.approx(float(terms['kl_fake']) + 50.0, rel=1e-6)


@pytest.mark.parametrize('method_name', ['alphagan', 'dcgan', 'wgan_gp'])
def test_discriminator_width_sizes_the_data_discriminator_alone(config_factory, method_name):
    import ml_collections

    config = config_factory('stacked_mnist', method_name)
    dataset_shape = (28, 28, 3)
    widths = {}
    for width in (None, 2):
        config.model = ml_collections.ConfigDict({**config.model.to_dict(), 'discriminator_width': width})
        state = jax.eval_shape(
            lambda: methods.get_method(config, dataset_shape).init(jax.random.key(0), jnp.zeros((2, *dataset_shape)))
        )
        widths[width] = {net: p['Conv_0']['kernel'].shape[-1] for net, p in state.params.items() if 'Conv_0' in p}
    assert widths[None]['discriminator'] == config.model.width and widths[2]['discriminator'] == 2
    assert {k: v for k, v in widths[2].items() if k != 'discriminator'} == {
        k: v for k, v in widths[None].items() if k != 'discriminator'
    }  # the encoder keeps model.width
    config.model = ml_collections.ConfigDict({**config.model.to_dict(), 'discriminator_width': 0.5})
    with pytest.raises(ValueError, match='discriminator_width=0.5 must be a positive integer'):
        methods.get_method(config, dataset_shape)


def test_counter_augmentation_shifts_and_rotates_exactly():
    from aegan.methods.classifier import random_shift_rotate, shift_rotate

    x = np.random.default_rng(0).normal(size=(2, 6, 6, 1)).astype(np.float32)
    rotated = np.asarray(shift_rotate(jnp.asarray(x), jnp.zeros((2, 2)), jnp.array([90.0, -90.0])))
    np.testing.assert_allclose(rotated[0, ..., 0], np.rot90(x[0, ..., 0], 1), atol=1e-5)
    np.testing.assert_allclose(rotated[1, ..., 0], np.rot90(x[1, ..., 0], -1), atol=1e-5)
    shifted = np.asarray(shift_rotate(jnp.asarray(x), jnp.array([[2.0, 0.0], [0.0, -1.0]]), jnp.zeros(2)))
    np.testing.assert_array_equal(shifted[0, 2:], x[0, :-2])  # down by 2 rows
    np.testing.assert_array_equal(shifted[1, :, :-1], x[1, :, 1:])  # left by 1 column
    # Its draws are rows of the global batch (parallel.uniform_rows), so it runs inside the data-parallel map.
    mesh = parallel.make_mesh(jax.devices()[:1])
    augment = lambda shift, degrees: jax.jit(  # noqa: E731
        parallel.data_parallel(
            lambda key, images: random_shift_rotate(key, images, shift, degrees), mesh, (P(), P('data')), P('data')
        )
    )(jax.random.key(0), jnp.asarray(x))
    same = augment(0.0, 0.0)
    np.testing.assert_allclose(np.asarray(same), x, atol=1e-6)
    moved = augment(2.0, 10.0)
    assert np.abs(np.asarray(moved) - x).mean() > 0.1


def test_counter_augment_keys_are_checked(config_factory):
    config = config_factory('mnist', 'classifier')
    config.classifier.augment = dict(max_shift=2, max_rotation=10)
    with pytest.raises(ValueError, match=r"unknown keys \['max_rotation'\]"):
        methods.get_method(config, (28, 28, 1))


def test_cosine_schedule_decays_over_the_runs_updates():
    import ml_collections

    from aegan.methods.api import make_optimizer

    config = ml_collections.ConfigDict({'kind': 'sgd', 'learning_rate': 0.5, 'schedule': 'cosine'})
    optimizer = make_optimizer(config, 'generator', total_updates=4)
    params, state, steps = jnp.zeros(()), None, []
    state = optimizer.init(params)
    for _ in range(5):
        update, state = optimizer.update(jnp.ones(()), state, params)
        steps.append(float(-update))
    expected = [0.5 * 0.5 * (1 + np.cos(np.pi * k / 4)) for k in range(5)]
    np.testing.assert_allclose(steps, expected, atol=1e-7)
    constant = make_optimizer(ml_collections.ConfigDict({'kind': 'sgd', 'learning_rate': 0.5}), 'generator', 4)
    assert float(-constant.update(jnp.ones(()), constant.init(params), params)[0]) == 0.5
    config.schedule = 'linear'
    with pytest.raises(ValueError, match=r"optim.generator.schedule='linear'; valid choices: \['constant', 'cosine'\]"):
        make_optimizer(config, 'generator', 4)


def test_counter_ensemble_averages_independent_members(config_factory):
    from aegan import nets

    config = config_factory('mnist', 'classifier')
    config.classifier.ensemble = 3
    method = methods.get_method(config, (28, 28, 1))
    x = jnp.asarray(np.random.default_rng(0).uniform(-1, 1, (4, 28, 28, 1)), jnp.float32)
    state = method.init(jax.random.key(0), x)
    names = ['classifier_0', 'classifier_1', 'classifier_2']
    assert sorted(state.params) == names
    member = nets.encoder(config.model, (28, 28, 1), 10)
    probabilities = [
        jax.nn.softmax(member.apply({'params': state.params[n], 'batch_stats': state.batch_stats[n]}, x, train=False))
        for n in names
    ]
    assert not np.allclose(probabilities[0], probabilities[1])  # independently initialised
    np.testing.assert_allclose(jax.nn.softmax(method.classify(state, x)), sum(probabilities) / 3, atol=1e-6)
    config.classifier.ensemble = 0
    with pytest.raises(ValueError, match='classifier.ensemble=0 must be an integer >= 1'):
        methods.get_method(config, (28, 28, 1))
