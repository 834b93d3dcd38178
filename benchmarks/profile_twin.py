"""Where the PyTorch twin's α-GAN iteration spends its GPU time: `torch.profiler` kernel totals per iteration, the
counterpart of `profile_step.py` for `vs_pytorch.py`'s other side.

    python benchmarks/profile_twin.py experiments/alphagan_cifar10.py --batch_size 512 [--precision tf32]

Needs a GPU (on a CPU the twin has no kernels to list). Reported, not asserted.
"""

import numpy as np
import torch_side
from profile_step import profile_parser  # benchmarks/ is the script's directory
from step_time import load_config_and_shape  # benchmarks/ is the script's directory
from vs_pytorch import torch_twin


def main():
    import torch

    parser = profile_parser()
    parser.add_argument('--precision', default='float32', choices=['float32', 'tf32'])
    args = parser.parse_args()
    device = torch_side.device(tf32=args.precision == 'tf32')
    if device != 'cuda':
        raise SystemExit('profile_twin.py lists CUDA kernels: run it where JAX and torch see a GPU.')
    config, shape = load_config_and_shape(args.config, args.batch_size)
    batch = np.random.default_rng(0).uniform(-1, 1, (config.batch_size, *shape)).astype(np.float32)
    x = torch.from_numpy(batch).permute(0, 3, 1, 2).contiguous().to(device)
    twin = torch_twin(config, shape, device)
    iteration = torch_side.synchronized(device, lambda: twin(x))
    for _ in range(3):  # cuDNN autotuning and warm-up
        iteration()
    activities = [torch.profiler.ProfilerActivity.CUDA]
    with torch.profiler.profile(activities=activities) as profile:
        for _ in range(args.steps):
            iteration()
    events = [e for e in profile.key_averages() if e.device_time_total > 0]
    total = sum(e.self_device_time_total for e in events) / 1e3 / args.steps
    where = f'{args.config} (batch {config.batch_size}, {args.precision})'
    print(f'{where}: {total:.1f} ms of CUDA kernel time per iteration')
    for e in sorted(events, key=lambda e: -e.self_device_time_total)[: args.top]:
        ms = e.self_device_time_total / 1e3 / args.steps
        print(f'  {ms:7.1f} ms {100 * ms / total:5.1f}% {e.count // args.steps:5d} calls  {e.key[:150]}')


if __name__ == '__main__':
    main()
