"""The PyTorch side of the benchmarks: where it runs, and waiting for its queued GPU work before a clock is read."""

import os

import jax


def device(tf32: bool) -> str:
    """'cuda' when JAX runs on a GPU and torch sees one, else 'cpu'. Torch gets every CPU thread; on the GPU, cuDNN
    autotuning (`cudnn.benchmark`, as a user timing it would) and TF32 only when `tf32`, matching JAX's precision."""
    import torch

    torch.set_num_threads(os.cpu_count())
    if jax.default_backend() != 'gpu' or not torch.cuda.is_available():
        return 'cpu'
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = tf32
    return 'cuda'


def synchronized(device: str, fn):
    """`fn` followed by waiting for the GPU, so that a timing includes the work it queued."""
    import torch

    def run():
        out = fn()
        if device == 'cuda':
            torch.cuda.synchronize()
        return out

    return run
