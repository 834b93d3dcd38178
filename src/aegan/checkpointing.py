"""Orbax checkpoints of the TrainState, and the run's config saved beside them.

Layout: `<workdir>/config.json` (the resolved config, so `aegan.eval --checkpoint=<workdir>` needs nothing else) and
`<workdir>/checkpoints/<step>/`. Orbax writes a step into a temporary folder and renames it when complete, so a
half-written save is never listed; a complete-but-unreadable one (disk error, truncated file) is moved to
`<workdir>/corrupt_checkpoints/` (never deleted) and the previous step is restored instead, with a warning.
"""

import json
import os
import shutil
import time

import jax
import ml_collections
import orbax.checkpoint as ocp
from absl import logging

# Keys a resumed run may change (a longer schedule, other logging, where and how fast the data is read); any other
# change needs a new workdir.
RESUMABLE_KEYS = (
    'data.data_dir',
    'data.download',
    'data.num_threads',
    'data.prefetch_batches',
    'num_train_steps',
    'log_every_steps',
    'sample_every_steps',
    'checkpoint_every_steps',
    'max_checkpoints_to_keep',
)


def make_manager(workdir: str, config) -> ocp.CheckpointManager:
    options = ocp.CheckpointManagerOptions(max_to_keep=config.max_checkpoints_to_keep, create=True)
    return ocp.CheckpointManager(os.path.join(os.path.abspath(workdir), 'checkpoints'), options=options)


def save(manager: ocp.CheckpointManager, step: int, state, interval: int, force: bool = False) -> bool:
    """Saves `state` as step `step` every `interval` steps (or when `force`); asynchronous.

    The schedule is ours, not Orbax's `save_interval_steps`, which also saves the first step of every run.
    """
    if not (force or step % interval == 0):
        return False
    return manager.save(step, args=ocp.args.StandardSave(state), force=True)


def restore_or_init(manager: ocp.CheckpointManager, init_fn, workdir: str):
    """Restores the newest readable checkpoint into the shapes and shardings of `init_fn()`, or calls `init_fn`.

    `init_fn` is a jitted zero-argument function with `out_shardings`, so `jax.eval_shape` gives the target
    shardings and nothing is computed twice. Returns (state, restored_step or None).
    """
    abstract = jax.eval_shape(init_fn)
    for step in sorted(manager.all_steps(), reverse=True):
        try:
            return manager.restore(step, args=ocp.args.StandardRestore(abstract)), step
        except Exception as e:  # Orbax raises many types for unreadable data; any of them means "skip this one".
            target = os.path.join(os.path.abspath(workdir), 'corrupt_checkpoints', f'{step}-{int(time.time())}')
            logging.warning(
                'Checkpoint at step %d is unreadable (%s: %s). Moved it to %s; trying the previous one.',
                step,
                type(e).__name__,
                str(e).splitlines()[0][:300],
                target,
            )
            if jax.process_index() == 0:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.move(os.path.join(str(manager.directory), str(step)), target)
            manager.reload()
    return init_fn(), None


def _flatten(tree: dict, prefix: str = '') -> dict:
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f'{prefix}{key}.'))
        else:
            flat[f'{prefix}{key}'] = value
    return flat


def config_path(workdir: str) -> str:
    return os.path.join(os.path.abspath(workdir), 'config.json')


def load_config(workdir: str) -> ml_collections.ConfigDict:
    with open(config_path(workdir)) as f:
        return ml_collections.ConfigDict(json.load(f))


def save_config(config, workdir: str) -> None:
    """Writes config.json; on resume, refuses a config that differs from the saved one outside RESUMABLE_KEYS."""
    path = config_path(workdir)
    new = json.loads(config.to_json_best_effort())
    if os.path.exists(path):
        with open(path) as f:
            old = json.load(f)
        old_flat, new_flat = _flatten(old), _flatten(new)
        changed = sorted(
            k
            for k in old_flat.keys() | new_flat.keys()
            if old_flat.get(k) != new_flat.get(k) and k not in RESUMABLE_KEYS
        )
        if changed:
            diff = '\n'.join(f'  {k}: {old_flat.get(k)!r} -> {new_flat.get(k)!r}' for k in changed)
            raise ValueError(
                f'{workdir} holds a run with a different config; resuming it with these changes would '
                f'mix two experiments:\n{diff}\nUse a new --workdir, or drop these overrides.'
            )
    if jax.process_index() == 0:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + '.tmp', 'w') as f:
            json.dump(new, f, indent=2, sort_keys=True)
        os.replace(path + '.tmp', path)


def resolve_checkpoint(path: str) -> tuple[str, int]:
    """`path` is a workdir (its newest step) or `<workdir>/checkpoints/<step>`; returns (workdir, step)."""
    path = os.path.abspath(os.path.expanduser(path.rstrip('/')))
    parent = os.path.dirname(path)
    if os.path.basename(parent) == 'checkpoints' and os.path.basename(path).isdigit():
        workdir, step = os.path.dirname(parent), int(os.path.basename(path))
        if not os.path.isdir(path):
            raise FileNotFoundError(f'No checkpoint at {path}.')
    else:
        workdir, step = path, None
    if not os.path.exists(config_path(workdir)):
        raise FileNotFoundError(
            f'{workdir} has no config.json, so it is not an aegan workdir. Pass --checkpoint=<workdir> (the '
            '--workdir of aegan.train) or <workdir>/checkpoints/<step>.'
        )
    if step is None:
        steps = ocp.utils.checkpoint_steps(os.path.join(workdir, 'checkpoints'))
        if not steps:
            raise FileNotFoundError(f'{workdir}/checkpoints holds no finished checkpoint; train longer first.')
        step = max(steps)
    return workdir, step


def restore_read_only(workdir: str, step: int, abstract_state):
    """Restores one step without touching the workdir (eval must never move or delete a user's checkpoint)."""
    path = os.path.join(workdir, 'checkpoints', str(step), 'default')  # CheckpointManager's layout.
    try:
        with ocp.StandardCheckpointer() as checkpointer:
            return checkpointer.restore(path, abstract_state)
    except Exception as e:  # Orbax raises many types for unreadable data.
        raise ValueError(
            f'Checkpoint {workdir}/checkpoints/{step} is unreadable ({type(e).__name__}: '
            f'{str(e).splitlines()[0][:300]}). Pass an earlier one as --checkpoint={workdir}/checkpoints/<step>.'
        ) from e
