"""α-GAN's update, network by network: each gradient equals a separate `jax.grad` of that network's own loss.

Plain SGD (lr 1) makes a step's parameter change exactly minus its gradient, so `p1 == p0 - grad(reference loss)`
checks the gradient itself, scale included (Adam would divide a wrong scale out).
"""

import chex
import jax
import numpy as np
import pytest
from jax.sharding import PartitionSpec as P

from aegan import data, methods, nets, parallel
from aegan.configs import sgd
from aegan.methods import alphagan, api

LR = 1.0
CLOSE = dict(rtol=1e-5, atol=1e-6)


def sgd_config(config_factory, dataset='ring8', encoder_loss='paper'):
    config = config_factory(dataset)
    config.optim = {net: sgd(LR) for net in alphagan.NETS}
    config.alphagan.encoder_loss = encoder_loss
    config.alphagan.generator_steps = 1
    return config


def setup(config):
    dataset = data.get_dataset(config.data)
    steps = alphagan.make_steps(config, dataset.shape)
    state = steps.init(jax.random.key(0), np.zeros((1, *dataset.shape), np.float32))
    x = dataset.process_batch(config.seed, 0, config.batch_size, 0, 1)
    return steps, state, np.asarray(x)


EG_STEP_OUT = (P(), P(), P('data'))


def on_one_device(fn, in_specs, out_specs=EG_STEP_OUT):
    """`fn` inside shard_map over one device (the steps use the 'data' axis), jitted; the default `out_specs` are the
    E/G step's (state, metrics, its forward's per-example outputs)."""
    mesh = parallel.make_mesh(jax.devices()[:1])
    return jax.jit(parallel.data_parallel(fn, mesh, in_specs, out_specs))


def reference_nets(config, data_shape):
    """`api.net_caller` over E, G, D and C built again, without a cross-device axis: the reference runs outside
    shard_map, where BatchNorm normalises over the batch it is given (one device: the whole batch)."""
    z_dim = config.model.z_dim
    return api.net_caller(
        {
            'encoder': nets.encoder(config.model, data_shape, z_dim),
            'generator': nets.generator(config.model, data_shape),
            'discriminator': nets.discriminator(config.model, data_shape),
            'code_discriminator': nets.code_discriminator(config.model),
        }
    )


def reference_losses(net, state, x, z_prior, lambda_rec):
    """The paper's L_E, L_G and the joint loss as functions of {encoder, generator} params (D and C fixed).

    Every net in training mode, as in the step: BatchNorm normalises each call's batch with that batch's own
    statistics (G's two calls and D's two calls separately), never with the running ones."""

    def outputs(params):
        z_hat = net(state, 'encoder', x, params['encoder'], train=True)[0]
        x_rec = net(state, 'generator', z_hat, params['generator'], train=True)[0]
        x_gen = net(state, 'generator', z_prior, params['generator'], train=True)[0]
        d = lambda v: net(state, 'discriminator', v, train=True)[0]
        c_hat = net(state, 'code_discriminator', z_hat, train=True)[0]
        return x_rec, d(x_rec), d(x_gen), c_hat

    def encoder(params):
        x_rec, _, _, c_hat = outputs(params)
        return alphagan.encoder_loss(x, x_rec, c_hat, lambda_rec)

    def generator(params):
        x_rec, d_rec, d_gen, _ = outputs(params)
        return alphagan.generator_loss(x, x_rec, d_rec, d_gen, lambda_rec)

    def joint(params):
        x_rec, d_rec, d_gen, c_hat = outputs(params)
        return alphagan.joint_loss(x, x_rec, d_rec, d_gen, c_hat, lambda_rec)

    return {'encoder': encoder, 'generator': generator, 'joint': joint}


def reference_statistics(net, state, x, z_prior):
    """The BatchNorm running statistics after the E/G step: E's moved by E(x), G's by G(E(x)) then G(z); D's (in
    D's own step) and C's (none) unchanged."""
    z_hat, encoder_stats = net(state, 'encoder', x, train=True)
    _, generator_stats = net(state, 'generator', z_hat, train=True)
    _, generator_stats = net(state, 'generator', z_prior, batch_stats=generator_stats, train=True)
    moved = {'encoder': encoder_stats, 'generator': generator_stats}
    return {**state.batch_stats, **{name: stats for name, stats in moved.items() if stats is not None}}


def descend(params, grads):
    return jax.tree.map(lambda p, g: p - LR * g, params, grads)


@pytest.mark.usefixtures('fast_compile')
# ring8: MLPs; stacked_mnist: conv nets with BatchNorm in E, G and D. The variants differ only in which cotangents
# reach the encoder, which no BatchNorm changes: joint x stacked_mnist would add 9 s and see nothing new.
@pytest.mark.parametrize(
    'encoder_loss, dataset_name', [('paper', 'ring8'), ('joint', 'ring8'), ('paper', 'stacked_mnist')]
)
def test_encoder_and_generator_gradients_are_their_own_losses(config_factory, encoder_loss, dataset_name):
    config = sgd_config(config_factory, dataset_name, encoder_loss)
    steps, state, x = setup(config)
    rng = jax.random.key(7)
    after, _, _ = on_one_device(steps.encoder_generator_step, (P(), P('data'), P()))(state, x, rng)
    z_prior = jax.random.normal(rng, (x.shape[0], config.model.z_dim))  # normal_rows' global draw on one device
    net = reference_nets(config, x.shape[1:])
    refs = reference_losses(net, state, x, z_prior, config.alphagan.lambda_rec)
    params = {n: state.params[n] for n in ('encoder', 'generator')}
    grad, expected_stats = jax.jit(  # one program for the three gradients and the statistics
        lambda params: (
            {name: jax.grad(loss)(params) for name, loss in refs.items()},
            reference_statistics(net, state, x, z_prior),
        )
    )(params)
    encoder_reference = grad['encoder' if encoder_loss == 'paper' else 'joint']['encoder']
    chex.assert_trees_all_close(after.params['encoder'], descend(params['encoder'], encoder_reference), **CLOSE)
    # G's gradient is its own loss in both variants (the joint loss's extra code term has no G-gradient).
    chex.assert_trees_all_close(
        after.params['generator'], descend(params['generator'], grad['generator']['generator']), **CLOSE
    )
    # The two encoder losses really differ here, by far more than the tolerance: the check above can tell them apart.
    diff = jax.tree.map(lambda a, b: float(np.max(np.abs(a - b))), grad['encoder']['encoder'], grad['joint']['encoder'])
    assert max(jax.tree.leaves(diff)) > 1e-3
    # The running statistics the step keeps: E's from E(x), G's from its two batches in turn.
    assert set(expected_stats) == ({'encoder', 'generator', 'discriminator'} if dataset_name != 'ring8' else set())
    chex.assert_trees_all_close(after.batch_stats, expected_stats, **CLOSE)


def test_encoder_generator_step_leaves_the_discriminators_untouched(config_factory):
    config = sgd_config(config_factory, 'stacked_mnist')  # BatchNorm in E, G and D
    steps, state, x = setup(config)
    after, metrics, _ = on_one_device(steps.encoder_generator_step, (P(), P('data'), P()))(state, x, jax.random.key(1))
    for name in ('discriminator', 'code_discriminator'):
        chex.assert_trees_all_equal(after.params[name], state.params[name])
        chex.assert_trees_all_equal(after.opt_state[name], state.opt_state[name])
    chex.assert_trees_all_equal(after.batch_stats['discriminator'], state.batch_stats['discriminator'])
    for name in ('encoder', 'generator'):  # ...while E and G and their BatchNorm statistics moved
        assert not np.array_equal(jax.tree.leaves(after.params[name])[0], jax.tree.leaves(state.params[name])[0])
        chex.assert_trees_all_equal_shapes(after.batch_stats[name], state.batch_stats[name])
        moved = jax.tree.map(lambda a, b: not np.array_equal(a, b), after.batch_stats[name], state.batch_stats[name])
        assert all(jax.tree.leaves(moved)), name
    assert float(metrics['e_loss']) == pytest.approx(
        config.alphagan.lambda_rec * float(metrics['reconstruction_l1']) + float(metrics['e_loss_code']), rel=1e-5
    )


@pytest.mark.parametrize('inputs', alphagan.DISCRIMINATOR_INPUTS)
def test_discriminator_and_code_discriminator_steps_through_update(config_factory, inputs):
    """D and C each descend their own cross-entropy through `update`: 'updated', at the E and G of *after* the E/G
    step and a new prior draw; 'same_forward', at that step's own forward (E and G before it, its prior draw).

    Swapping the code discriminator's arguments (prior <-> codes) or the data discriminator's (real <-> fake) changes
    their gradients, so this fails; so does reading the other variant's inputs.
    """
    config = sgd_config(config_factory)
    config.alphagan.discriminator_inputs = inputs
    dataset = data.get_dataset(config.data)
    method = methods.get_method(config, dataset.shape)
    steps, state, x = setup(config)
    mesh = parallel.make_mesh(jax.devices()[:1])
    root = jax.random.key(3)
    after, _ = parallel.shard_step(method.update, mesh)(jax.tree.map(np.array, state), x, root)
    # update: rng = fold_in(root, step 0); E/G step uses fold_in(rng, 0); D and C's prior draw fold_in(rng, 1).
    rng = jax.random.fold_in(root, 0)
    key = jax.random.fold_in(rng, 1 if inputs == 'updated' else 0)
    z_prior = jax.random.normal(key, (x.shape[0], config.model.z_dim))
    read = after if inputs == 'updated' else state  # whose E and G made D's and C's inputs
    z_hat = steps.net(read, 'encoder', x)[0]
    x_rec, x_gen = steps.net(read, 'generator', z_hat)[0], steps.net(read, 'generator', z_prior)[0]

    def d_loss(params):
        d = lambda v: steps.net(state, 'discriminator', v, params)[0]
        return alphagan.discriminator_loss(d(x), d(x_rec), d(x_gen))

    def c_loss(params):
        c = lambda v: steps.net(state, 'code_discriminator', v, params)[0]
        return alphagan.code_discriminator_loss(c(z_prior), c(z_hat))

    for name, loss in (('discriminator', d_loss), ('code_discriminator', c_loss)):
        expected = descend(state.params[name], jax.grad(loss)(state.params[name]))
        chex.assert_trees_all_close(after.params[name], expected, **CLOSE)


def test_unknown_discriminator_inputs_are_refused(config_factory):
    config = config_factory()
    config.alphagan.discriminator_inputs = 'fresh'
    with pytest.raises(ValueError, match=r"discriminator_inputs='fresh'; valid choices: \['updated', 'same_forward'\]"):
        methods.get_method(config, (2,))


def test_unknown_encoder_loss_is_refused(config_factory):
    config = config_factory()
    config.alphagan.encoder_loss = 'both'
    with pytest.raises(ValueError, match=r"alphagan.encoder_loss='both'; valid choices: \['paper', 'joint'\]"):
        methods.get_method(config, (2,))
