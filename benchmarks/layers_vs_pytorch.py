"""Each convolution layer of the α-GAN nets against PyTorch's, forward and forward+backward, in one process.

    pip install -e '.[bench]'
    python benchmarks/layers_vs_pytorch.py experiments/alphagan_stacked_mnist.py experiments/alphagan_cifar10.py

Where `benchmarks/vs_pytorch.py` times the whole iteration, this says which layers make the difference: every
`DownConv` of the encoder (the discriminator has the same shapes) against `nn.Conv2d(k=4, s=2, p=1)`, and every
`UpConv` of the generator against `nn.ConvTranspose2d(k=4, s=2, p=1)`, at the config's batch, no bias, on random data.
'fwd+bwd' is the gradient of sum(y²) with respect to the input and the kernel, which is what the step asks of every
layer but the first (whose input gradient it does not need). Ours is jitted, with the algorithms the step uses
(`layers.upconv_algorithm()`); torch uses every CPU thread. Medians of `--steps` calls, the sides interleaved in
halves (ours, theirs, theirs, ours). Timing only: nothing is asserted.
"""

import argparse
import os

import jax
import jax.numpy as jnp
import numpy as np
import record
import torch_side
from step_time import load_config_and_shape  # benchmarks/ is the script's directory
from vs_pytorch import interleaved

from aegan import methods
from aegan.nets import layers


def conv_layers(config, shape):
    """[(kind, cin, cout, input size)] of the encoder's DownConvs and the generator's UpConvs, from their kernels."""
    method = methods.get_method(config, shape)
    params = jax.eval_shape(lambda: method.init(jax.random.key(0), jnp.zeros((1, *shape)))).params
    size, found = shape[0], []
    down = sorted(k for k in params['encoder'] if k.startswith('Conv_'))
    up = sorted(k for k in params['generator'] if k.startswith('UpConv_'))
    for i, name in enumerate(down):
        _, _, cin, cout = params['encoder'][name]['kernel'].shape
        found.append(('down', cin, cout, size // 2**i))
    for j, name in enumerate(up):
        _, _, cin, cout = params['generator'][name]['kernel'].shape
        found.append(('up', cin, cout, size // 2 ** (len(up) - j)))
    return found


def layer_pair(kind, cin, cout, size, batch):
    """{'fwd': (ours, theirs), 'fwd+bwd': (ours, theirs)}: zero-argument callables that run the layer once."""
    import torch

    x = np.random.default_rng(0).standard_normal((batch, size, size, cin), np.float32)
    module = layers.DownConv(cout, use_bias=False) if kind == 'down' else layers.UpConv(cout)
    params = module.init(jax.random.key(0), x[:1])
    x_jax = jax.device_put(x)
    forward = jax.jit(module.apply)
    grads = jax.jit(jax.grad(lambda p, x: jnp.sum(module.apply(p, x) ** 2), argnums=(0, 1)))
    conv = torch.nn.Conv2d if kind == 'down' else torch.nn.ConvTranspose2d
    twin = conv(cin, cout, 4, 2, 1, bias=False)
    x_torch = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous().requires_grad_()

    def theirs_forward():
        with torch.no_grad():
            twin(x_torch)

    def theirs_grads():
        (twin(x_torch) ** 2).sum().backward()

    return {
        'fwd': (lambda: jax.block_until_ready(forward(params, x_jax)), theirs_forward),
        'fwd+bwd': (lambda: jax.block_until_ready(grads(params, x_jax)), theirs_grads),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--out', default=record.default_path(__file__), help='the JSON of the figures')
    args = parser.parse_args()
    import torch

    torch_side.device(tf32=False)  # every CPU thread for torch
    print(f'JAX {jax.__version__} on {jax.default_backend()}, {os.cpu_count()} CPUs; PyTorch {torch.__version__}')
    rows = []
    for path in args.configs:
        config, shape = load_config_and_shape(path)
        for kind, cin, cout, size in conv_layers(config, shape):
            pairs = layer_pair(kind, cin, cout, size, config.batch_size)
            row = dict(config=path, layer=f'{kind} {cin}->{cout} @{size}x{size}', batch=config.batch_size)
            for what, (ours, theirs) in pairs.items():
                ours(), theirs(), ours(), theirs()  # compile and warm up
                a, b = interleaved(ours, theirs, args.steps)
                row[f'{what}_ours_ms'], row[f'{what}_theirs_ms'] = 1e3 * a, 1e3 * b
                row[f'{what}_ratio'] = row[f'{what}_theirs_ms'] / row[f'{what}_ours_ms']
            print(
                f'{os.path.basename(path)} {row["layer"]:>20}: '
                + '; '.join(
                    f'{what} aegan {row[f"{what}_ours_ms"]:.2f} ms, PyTorch {row[f"{what}_theirs_ms"]:.2f} ms '
                    f'-> {row[f"{what}_ratio"]:.2f}x'
                    for what in pairs
                ),
                flush=True,
            )
            rows.append(row)
    record.write(args.out, rows, torch=torch.__version__)


if __name__ == '__main__':
    main()
