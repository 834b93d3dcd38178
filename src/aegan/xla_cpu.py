"""XLA:CPU compiler options for the metrics' programs, set per jit (`compiler_options`), never as global flags.

jaxlib 0.10's XLA:CPU hands convolutions, reductions and elementwise fusions to its YNNPACK kernels by default
(`DebugOptions.xla_cpu_experimental_ynn_fusion_type`). For the metrics' programs those kernels measured slower than
XLA's own emitters on the 2-core x86 machine, so the Inception forward and MS-SSIM are compiled with the list empty
(`NO_LIBRARY_FUSIONS`); `benchmarks/metrics_speed.py` times both in one run (benchmarks/README.md, "XLA:CPU's
library kernels"). The training step keeps XLA's defaults: there the option measured within 8% of them on one CPU
device and 1.5x slower with two.

The options are chosen at a function's first call, not at import, so importing aegan does not start JAX's backends.
A jaxlib that does not know the option (checked once by compiling a one-element function) gets XLA's defaults and a
logged warning. Results do not depend on the option beyond float32 rounding (tests/test_xla_cpu.py).
"""

import functools

import jax
import jax.numpy as jnp
from absl import logging

YNN_FUSION_TYPES = 'xla_cpu_experimental_ynn_fusion_type'
NO_LIBRARY_FUSIONS = {YNN_FUSION_TYPES: ''}


@functools.cache
def metric_options() -> dict:
    """`NO_LIBRARY_FUSIONS` on a CPU backend whose XLA accepts it, else {} (other backends: XLA's defaults)."""
    if jax.default_backend() != 'cpu':
        return {}
    return NO_LIBRARY_FUSIONS if accepted(NO_LIBRARY_FUSIONS) else {}


def accepted(options: dict) -> bool:
    """Whether this jaxlib's XLA compiles with `options` (an unknown option or value fails the compile)."""
    try:
        jax.jit(lambda x: x + 1, compiler_options=options)(jnp.zeros((), jnp.float32)).block_until_ready()
    except jax.errors.JaxRuntimeError as error:
        logging.warning('XLA rejects the compiler options %s (%s); the metrics use its defaults.', options, error)
        return False
    return True


def jit_for_metrics(fun=None, **jit_kwargs):
    """`jax.jit(fun, **jit_kwargs)` compiled with `metric_options()`; usable as a decorator, with or without kwargs."""
    if fun is None:
        return functools.partial(jit_for_metrics, **jit_kwargs)

    @functools.cache
    def jitted(xla_defaults: bool = False):
        return jax.jit(fun, compiler_options=None if xla_defaults else metric_options(), **jit_kwargs)

    @functools.wraps(fun)
    def call(*args, **kwargs):
        if any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves((args, kwargs))):
            return fun(*args, **kwargs)  # inside another jit: inlined there, as a nested jax.jit would be
        return jitted()(*args, **kwargs)

    call.jitted = jitted  # the jax.jit object (xla_defaults=True: without the options), for tests and benchmarks
    return call
