"""Forward+backward time of one 2x upsampling layer on this machine: Flax ConvTranspose vs aegan's UpConv, each of
its algorithms.

    python benchmarks/upsample.py [--batch 64] [--repeats 10]

Reports the median wall time of a jitted value_and_grad (w.r.t. input and kernel) per layer (`cin->cout @input
size`): the upsampling layers of the width-64 generators of the α-GAN configs (stacked_mnist 28 px, cifar10 32 px)
and of a 64 px DCGAN. `UpConv`'s 'auto' picks 'matmul' on a CPU or GPU and 'phases' on a TPU (nets/layers.py).
Timing only; nothing is asserted.
"""

import argparse
import time

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from aegan.nets.layers import UPCONV_ALGORITHMS, UpConv

# (cin, cout, input size): stacked_mnist, cifar10, then the 64 px generator
SHAPES = (
    (128, 64, 7),
    (64, 3, 14),
    (256, 128, 4),
    (128, 64, 8),
    (64, 3, 16),
    (512, 256, 4),
    (256, 128, 8),
    (128, 64, 16),
    (64, 3, 32),
)


def time_layer(layer, x, repeats):
    params = layer.init(jax.random.key(0), x)

    @jax.jit
    def fwd_bwd(params, x):
        return jax.value_and_grad(lambda p, x: jnp.sum(layer.apply(p, x) ** 2), argnums=(0, 1))(params, x)

    t0 = time.perf_counter()
    jax.block_until_ready(fwd_bwd(params, x))
    compile_s = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(fwd_bwd(params, x))
        times.append(time.perf_counter() - t0)
    return compile_s, float(np.median(times))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--repeats', type=int, default=10)
    args = parser.parse_args()
    print(f'backend={jax.default_backend()} batch={args.batch} (median of {args.repeats}, fwd+bwd, ms)')
    print(f'{"layer":>24} {"nn.ConvTranspose":>18}' + ''.join(f'{"UpConv " + a:>16}' for a in UPCONV_ALGORITHMS))
    for cin, cout, size in SHAPES:
        x = jax.random.normal(jax.random.key(1), (args.batch, size, size, cin))
        _, t_ref = time_layer(nn.ConvTranspose(cout, (4, 4), strides=(2, 2), padding='SAME'), x, args.repeats)
        ours = [time_layer(UpConv(cout, algorithm=a), x, args.repeats)[1] for a in UPCONV_ALGORITHMS]
        name = f'{cin}->{cout} @{size}x{size}'
        print(f'{name:>24} {1e3 * t_ref:18.1f}' + ''.join(f'{1e3 * t:16.1f}' for t in ours))


if __name__ == '__main__':
    main()
