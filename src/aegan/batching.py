"""`apply_in_chunks`: a function of a batch, applied to many examples a fixed-size chunk at a time.

Every chunk has the same shape (the last one is padded by repeating its final row, and the padding is cut from the
output), so the jitted function compiles once however many examples there are; memory stays bounded by the chunk.
"""

import jax
import numpy as np


def apply_in_chunks(fn, state, examples, chunk_size: int):
    """`fn(state, batch) -> array or pytree of arrays`, per-example and jittable, applied to `examples` [N, ...] in
    chunks of `chunk_size` rows; returns the outputs concatenated on the host as numpy (same tree as `fn`'s output).

    `state` (parameters) is an argument of the jitted function, not a constant baked into its program: XLA:CPU
    compiles and runs large baked-in constants much more slowly."""
    examples = np.asarray(examples)
    n = len(examples)
    if n == 0:
        raise ValueError('apply_in_chunks needs at least one example.')
    chunk_size = min(chunk_size, n)
    fn = jax.jit(fn)
    outputs = []
    for start in range(0, n, chunk_size):
        part = examples[start : start + chunk_size]
        padding = chunk_size - len(part)
        if padding:
            part = np.concatenate([part, np.repeat(part[-1:], padding, axis=0)])
        outputs.append(jax.tree.map(lambda y, keep=chunk_size - padding: np.asarray(y)[:keep], fn(state, part)))
    return jax.tree.map(lambda *parts: np.concatenate(parts), *outputs)
