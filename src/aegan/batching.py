"""`apply_in_chunks`: a function of a batch, applied to many examples a fixed-size chunk at a time.

Every chunk has the same shape (the last one is padded by repeating its final row, and the padding is cut from the
output), so the jitted function compiles once however many examples there are; memory stays bounded by the chunk.
"""

import jax
import numpy as np


def padded_chunks(examples: np.ndarray, chunk_size: int):
    """Yields (rows [chunk_size, ...], how many of them are real): the last chunk padded with copies of its last row."""
    for start in range(0, len(examples), chunk_size):
        part = examples[start : start + chunk_size]
        keep = len(part)
        if keep < chunk_size:
            part = np.concatenate([part, np.repeat(part[-1:], chunk_size - keep, axis=0)])
        yield part, keep


def apply_in_chunks(fn, state, examples, chunk_size: int, jit: bool = True):
    """`fn(state, batch) -> array or pytree of arrays`, per-example and jittable, applied to `examples` [N, ...] in
    chunks of `chunk_size` rows; returns the outputs concatenated on the host as numpy (same tree as `fn`'s output).

    `state` (parameters) is an argument of the jitted function, not a constant baked into its program: XLA:CPU
    compiles and runs large baked-in constants much more slowly. `jit=False` for a function that compiles itself
    (e.g. `inception.features_of`, whose compiler options a surrounding jit would drop)."""
    examples = np.asarray(examples)
    n = len(examples)
    if n == 0:
        raise ValueError('apply_in_chunks needs at least one example.')
    chunk_size = min(chunk_size, n)
    fn = jax.jit(fn) if jit else fn
    outputs = [
        jax.tree.map(lambda y, keep=keep: np.asarray(y)[:keep], fn(state, part))
        for part, keep in padded_chunks(examples, chunk_size)
    ]
    return jax.tree.map(lambda *parts: np.concatenate(parts), *outputs)
