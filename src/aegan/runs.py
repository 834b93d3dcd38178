"""A trained run read back for evaluation: `restore(checkpoint) -> Run`, read-only (nothing in the workdir is
written), and `load_classifier` for the runs that other metrics use as feature extractors or counters."""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import ml_collections

from aegan import checkpointing, data, methods


class Run(NamedTuple):
    workdir: str
    step: int
    config: ml_collections.ConfigDict  # the run's own config.json
    dataset: data.Dataset
    method: methods.Method
    state: methods.TrainState  # on the first local device


def restore(checkpoint: str) -> Run:
    """`checkpoint`: a workdir (its newest checkpoint) or <workdir>/checkpoints/<step>."""
    workdir, step = checkpointing.resolve_checkpoint(checkpoint)
    config = checkpointing.load_config(workdir)
    dataset = data.get_dataset(config.data)
    method = methods.get_method(config, dataset.shape)
    example = jnp.zeros((1, *dataset.shape), jnp.float32)
    device = jax.sharding.SingleDeviceSharding(jax.local_devices()[0])
    abstract = jax.eval_shape(lambda: method.init(jax.random.key(0), example))
    abstract = jax.tree.map(lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=device), abstract)
    state = checkpointing.restore_read_only(workdir, step, abstract)
    return Run(workdir, step, config, dataset, method, state)


def data_name(checkpoint: str) -> str:
    """The dataset a run was trained on, from its config.json alone (nothing restored)."""
    return checkpointing.load_config(checkpointing.resolve_checkpoint(checkpoint)[0]).data.name


def load_classifier(checkpoint: str, expected_data: str | None = None) -> Run:
    """A classifier run (experiments/classifier_*.py); checks it was trained on `expected_data` when given."""
    run = restore(checkpoint)
    if run.method.classify is None:
        raise ValueError(
            f'{checkpoint} holds a {run.config.method!r} run, not a classifier (experiments/classifier_*.py).'
        )
    if expected_data and run.config.data.name != expected_data:
        raise ValueError(
            f'{checkpoint} is a classifier of {run.config.data.name!r}; this metric needs one of {expected_data!r}.'
        )
    return run
