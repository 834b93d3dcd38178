"""JAX's persistent compilation cache, on by default, so that a resumed run, a repeated run and every eval of the
same config skip XLA compilation (benchmarks/README.md, "Start-up": cold vs warm first step).

The cache is keyed by the computation, the JAX/jaxlib version and the device, so sharing one directory between runs,
configs and machines is safe; stale entries are never used. `--compilation_cache=''` turns it off.
"""

import os

import jax
from absl import logging

DEFAULT_DIR = '~/.cache/aegan/jax_compilation_cache'
ENV = 'AEGAN_COMPILATION_CACHE'  # overrides the default (e.g. a shared filesystem on a cluster); '' turns it off


def default_dir() -> str:
    return os.environ.get(ENV, DEFAULT_DIR)


def enable(path: str | None) -> str | None:
    """Points JAX's persistent cache at `path` (created if needed) and caches every compilation, however quick.

    `path` None or '' leaves the cache off. Returns the absolute directory used, or None.
    """
    if not path:
        logging.info('Persistent compilation cache: off.')
        return None
    path = os.path.abspath(os.path.expanduser(path))
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:  # a read-only home must not stop a run: it only costs compile time
        logging.warning('Persistent compilation cache off: cannot create %s (%s).', path, e)
        return None
    jax.config.update('jax_compilation_cache_dir', path)
    jax.config.update('jax_persistent_cache_min_compile_time_secs', 0.0)
    jax.config.update('jax_persistent_cache_min_entry_size_bytes', 0)
    logging.info('Persistent compilation cache: %s', path)
    return path
