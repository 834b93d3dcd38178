"""The method contract, proven by a method that is not in the package: registered in two lines, it trains, resumes
and samples through `aegan.train` like the built-in ones (docs/configs.md, "Adding a method")."""

import json
import os
import subprocess
import sys
import textwrap

from test_checkpointing import load_state

TOY_METHOD = '''
"""A toy method: the generator regresses G(z) onto the batch (L2). One net, one optimizer, no step counter."""
import types

import jax.numpy as jnp
from absl import app

from aegan import configs, methods, nets, train
from aegan.methods import api
from aegan.parallel import DATA_AXIS, normal_rows, pmean

NETS = ('generator',)


def make(config, data_shape):
    z_dim = config.model.z_dim
    modules = {'generator': nets.generator(config.model, data_shape, DATA_AXIS)}
    optimizers = api.make_optimizers(config, {'generator': 1})
    net = api.net_caller(modules)

    def init(rng, example_batch):
        return api.init_nets(modules, rng, {'generator': jnp.zeros((1, z_dim))}, optimizers)

    def update(state, x, rng):
        z = normal_rows(rng, (x.shape[0], z_dim))

        def loss_fn(params):
            x_gen, stats = net(state, 'generator', z, params)
            return pmean(jnp.mean(jnp.square(x_gen - x))), ({}, stats)

        state, loss, _ = api.update_net(state, 'generator', loss_fn, optimizers['generator'])
        return state, {'l2': loss}

    return api.Method(name='toy', init=init, update=update, **api.sampling_functions(net, api.normal_prior(z_dim)))


configs.NETWORKS['toy'] = NETS  # the two registry lines (docs/configs.md, "Adding a method")
methods.METHODS['toy'] = types.SimpleNamespace(NETS=NETS, make=make)
app.run(train.main)
'''

TOY_CONFIG = """
from aegan.configs import adam, experiment


def get_config():
    config = experiment('toy', 'ring8', adam(1e-3, 0.9, 0.999))
    config.num_train_steps, config.log_every_steps = 20, 10
    config.sample_every_steps = config.checkpoint_every_steps = 10
    return config
"""


def run_toy(tmp_path, repo, steps):
    (tmp_path / 'toy_train.py').write_text(textwrap.dedent(TOY_METHOD))
    (tmp_path / 'toy_ring8.py').write_text(textwrap.dedent(TOY_CONFIG))
    command = [
        sys.executable,
        str(tmp_path / 'toy_train.py'),
        f'--config={tmp_path / "toy_ring8.py"}',
        f'--workdir={tmp_path / "run"}',
        f'--config.num_train_steps={steps}',
    ]
    env = {**os.environ, 'JAX_NUM_CPU_DEVICES': '1'}
    result = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stderr


def test_a_registered_toy_method_trains_resumes_and_samples_through_the_binary(tmp_path, repo):
    run_toy(tmp_path, repo, 10)
    log = run_toy(tmp_path, repo, 20)  # resumes at 10: shard_step moved the counter, the method never touched it
    run = tmp_path / 'run'
    assert f'Resumed from {run}/checkpoints/10.' in log, log[-2000:]
    assert sorted(int(d) for d in os.listdir(run / 'checkpoints') if d.isdigit())[-1] == 20
    assert int(load_state(str(run), 20)['step']) == 20
    assert json.loads((run / 'config.json').read_text())['method'] == 'toy'
    assert any(name.startswith('samples') for name in os.listdir(run / 'images'))
