"""Orbax checkpoints of the TrainState, the run's config saved beside them, and the workdir's one-writer lock.

Layout: `<workdir>/config.json` (the resolved config, so `aegan.eval --checkpoint=<workdir>` needs nothing else) and
`<workdir>/checkpoints/<step>/`. Every workdir path is an `etils.epath.Path` (Orbax's own path type), so `gs://...`
and other remote workdirs reach Orbax and the writers unchanged; only a local path is made absolute.

Restoring (`restore_or_init`) tells two failures apart:
  - a checkpoint whose *structure* differs from the state the code builds (a code change, another config) is an
    error naming the differing keys; nothing is moved;
  - a checkpoint whose data cannot be read (truncated or overwritten files, unreadable metadata) is corrupt. It is
    moved to `<workdir>/corrupt_checkpoints/` (never deleted), with a warning, only once an older checkpoint has
    restored; if none restores, the run stops with an error and moves nothing. It never starts again from step 0
    while checkpoints exist. With several processes, process 0's verdict is broadcast before anything is moved.
"""

import dataclasses
import errno
import json
import os
import time

import jax
import ml_collections
import numpy as np
import orbax.checkpoint as ocp
from absl import logging
from etils import epath
from jax.experimental import multihost_utils

from aegan import config_schema, filesystem

# Keys a resumed run may change (a longer schedule, other logging, where and how fast the data is read, how it is
# evaluated); any other change needs a new workdir.
RESUMABLE_KEYS = (
    'eval.batchnorm_passes',
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

# Keys added to the configs after runs were saved without them, each with what the code reads where a config.json
# lacks it (nets._mlp_style and _critic_style, methods/dcgan.py, data/mixtures.py): a run saved before a key existed
# resumes under today's config file when the key has that value, the same experiment. `ANY`: read only by layers an
# older run cannot have (maxout pieces without maxout).
ANY = object()
ADDED_KEYS = {
    'model.activation': lambda old: 'leaky_relu',
    'model.norm': lambda old: 'none',
    'model.init_std': lambda old: 0.0,
    'model.discriminator_hidden': lambda old: old.get('model.hidden'),
    'model.discriminator_activation': lambda old: 'leaky_relu',
    'model.maxout_pieces': lambda old: ANY,
    'data.num_train_examples': lambda old: 0,
    'dcgan.updates': lambda old: 'alternating',
}


def _changed_on_resume(key: str, old: dict, new: dict) -> bool:
    """Whether `key` differs between the saved (`old`) and today's (`new`) flattened configs, an added key absent
    from `old` counting as its `ADDED_KEYS` value."""
    if key in RESUMABLE_KEYS:
        return False
    if key not in old and key in ADDED_KEYS:
        assumed = ADDED_KEYS[key](old)
        return assumed is not ANY and assumed != new.get(key)
    return old.get(key) != new.get(key)


def workdir_path(workdir) -> epath.Path:
    """`workdir` as an epath.Path: a remote URI (`gs://b/run`) unchanged, a local path absolute and `~`-expanded."""
    workdir = str(workdir)
    if '://' in workdir:
        return epath.Path(workdir)
    return epath.Path(os.path.abspath(os.path.expanduser(workdir)))


def make_manager(workdir, config, barrier_prefix: str | None = None) -> ocp.CheckpointManager:
    """`barrier_prefix` tells apart the cross-process barriers of several managers in one program (the seeds of a
    group save the same step at the same time: with one set of barrier names, two processes hung in their saves)."""
    options = ocp.CheckpointManagerOptions(
        max_to_keep=config.max_checkpoints_to_keep,
        create=True,
        multiprocessing_options=ocp.options.MultiprocessingOptions(barrier_sync_key_prefix=barrier_prefix),
    )
    return ocp.CheckpointManager(workdir_path(workdir) / 'checkpoints', options=options)


MOVE_WORKDIR = 'move the workdir to another disk'  # where a run that cannot write its files can go on
REMOVED_UNDER_THE_RUN = ' (the workdir was removed under the run: the rerun starts again from step 0)'


def save(manager: ocp.CheckpointManager, step: int, state, interval: int, force: bool = False) -> bool:
    """Saves `state` as step `step` every `interval` steps (or when `force`), and waits until it is on disk.

    The schedule is ours, not Orbax's `save_interval_steps`, which also saves the first step of every run. The wait
    makes a failed write stop the run at that step, not at the next save: a full disk ends in a StorageError on every
    process that names the last finished checkpoint (kept, like all before it), and the half-written step is
    removed (Orbax never restores it, and it holds the space the rerun needs).
    """
    if not (force or step % interval == 0):
        return False
    checkpoints = epath.Path(manager.directory)
    written_at_start = config_path(checkpoints.parent)  # gone: the workdir was removed under the run
    error = None
    try:
        if not written_at_start.exists():  # Orbax would make the directory again and save into it
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(written_at_start))
        saved = manager.save(step, args=ocp.args.StandardSave(state), force=True)
        manager.wait_until_finished()
    except Exception as e:  # Orbax raises the fault of its writer threads here, as an OSError or a TensorStore status
        removed = not written_at_start.exists()  # Orbax's errors then are a zoo, often without errno
        if not (filesystem.is_storage_fault(e) or removed):
            raise
        error = FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(checkpoints.parent)) if removed else e
    if all_agree(error is None):
        return saved
    removed = remove_partial(checkpoints, step) if jax.process_index() == 0 else True
    half = f'removed: the half-written step {step}'
    if not removed:
        half = f'the half-written step {step} is left: never restored, the rerun removes it'
    kept = finished_steps(checkpoints)
    if not written_at_start.exists():
        resume = REMOVED_UNDER_THE_RUN
    elif kept:
        listed = ', '.join(map(str, kept))
        resume = f' to resume from step {kept[-1]} (kept: the checkpoints of step {listed}; {half})'
    else:
        resume = f' (no checkpoint was finished; {half})'
    if error is None:
        raise filesystem.StorageError(
            f'another process could not write step {step} of {checkpoints.parent} (its log says why): fix that '
            f'disk, then rerun the same command{resume}'
        )
    doing = f'saving step {step} of {checkpoints.parent}'
    cause = filesystem.as_os_error(error, checkpoints / str(step))
    raise filesystem.StorageError(filesystem.describe(cause, doing, MOVE_WORKDIR) + resume)


def remove_partial(checkpoints: epath.Path, step: int, attempts: int = 5) -> bool:
    """Removes `<step>.orbax-checkpoint-tmp*`; False where one is still there after `attempts` tries: a writer thread
    of Orbax may go on adding files after the save raised, and then Orbax's next save of that step removes it (an
    unfinalized step is never restored)."""
    for attempt in range(attempts):
        try:
            for partial in checkpoints.glob(f'{step}.orbax-checkpoint-tmp*'):
                partial.rmtree() if partial.is_dir() else partial.unlink()
        except OSError:
            pass  # ENOTEMPTY: files appeared while it was removed
        time.sleep(0.2 * (attempt + 1))
        if not any(checkpoints.glob(f'{step}.orbax-checkpoint-tmp*')):
            return True
    return False


def finished_steps(checkpoints: epath.Path) -> list[int]:
    """The steps of `checkpoints/` that Orbax finished (a half-written one is `<step>.orbax-checkpoint-tmp*`)."""
    return sorted(int(p.name) for p in checkpoints.iterdir() if p.name.isdigit()) if checkpoints.exists() else []


class StructureMismatchError(ValueError):
    """A checkpoint holds other arrays than the state this code builds: not corruption, so nothing is moved."""


def _key_name(key) -> str:
    return str(getattr(key, 'key', getattr(key, 'name', getattr(key, 'idx', key))))


def _tree_metadata(step_dir: epath.Path) -> dict:
    """Orbax's tree metadata of checkpoint `step_dir` (written apart from the array data). Raises when unreadable."""
    return json.loads((step_dir / 'default' / '_METADATA').read_text())['tree_metadata']


def saved_keys(step_dir: epath.Path) -> set:
    """The array paths ('params.encoder.Dense_0.kernel', ...) that checkpoint `step_dir` holds, from Orbax's tree
    metadata file (written apart from the array data, so damaged data does not hide keys). Raises when unreadable."""
    tree = _tree_metadata(step_dir)
    return {
        '.'.join(str(k['key']) for k in entry['key_metadata'])
        for entry in tree.values()
        if not entry['value_metadata'].get('skip_deserialize')  # empty containers ({} statistics, optax EmptyState)
    }


def check_structure(step_dir: epath.Path, abstract) -> None:
    """Raises StructureMismatchError naming the arrays in which checkpoint `step_dir` and `abstract` differ.

    Unreadable metadata is not a mismatch but corruption, which the restore that follows decides: no error here.
    """
    try:
        saved = saved_keys(step_dir)
    except Exception:  # missing or damaged metadata file
        return
    expected = {'.'.join(map(_key_name, path)) for path, _ in jax.tree_util.tree_flatten_with_path(abstract)[0]}
    lines = [f'  only in the checkpoint: {k}' for k in sorted(saved - expected)]
    lines += [f"  only in this code's state: {k}" for k in sorted(expected - saved)]
    if lines:
        shown = '\n'.join(lines[:20]) + (f'\n  ... and {len(lines) - 20} more' if len(lines) > 20 else '')
        raise StructureMismatchError(
            f'{step_dir} holds a different state than this code and config build:\n{shown}\n'
            'Nothing was moved or deleted. Resume it with the code and config that wrote it, or train into a new '
            '--workdir.'
        )


def _saved_fields(step_dir: epath.Path) -> set | None:
    """The top-level fields a checkpoint holds (from its tree metadata), or None when that cannot be read."""
    try:
        return {entry['key_metadata'][0]['key'] for entry in _tree_metadata(step_dir).values()}
    except Exception:  # missing or damaged metadata: the restore that follows decides
        return None


def restore_step(manager: ocp.CheckpointManager, step: int, abstract):
    """`manager.restore(step)` into `abstract` (a TrainState), also from a checkpoint written before a field was
    added to the state that is empty in this run (e.g. `TrainState.ema` with `config.ema` off): such a field is
    left out of the restore and kept empty, so a run saved by an older aegan resumes and evaluates unchanged."""
    saved = _saved_fields(epath.Path(manager.directory) / str(step))
    fields = [f.name for f in dataclasses.fields(abstract)] if dataclasses.is_dataclass(abstract) else []
    missing = [f for f in fields if saved is not None and f not in saved and not jax.tree.leaves(getattr(abstract, f))]
    if not missing:
        return manager.restore(step, args=ocp.args.StandardRestore(abstract))
    target = {f: getattr(abstract, f) for f in fields if f not in missing}
    return abstract.replace(**manager.restore(step, args=ocp.args.StandardRestore(target)))


class NoReadableCheckpointError(RuntimeError):
    """Checkpoints exist but none can be read: the run stops rather than start again from step 0."""


def agree(ok: bool) -> bool:
    """Process 0's verdict, the same on every process (a no-op with one process)."""
    if jax.process_count() == 1:
        return ok
    return bool(multihost_utils.broadcast_one_to_all(np.int32(ok)))


def all_agree(ok: bool) -> bool:
    """Whether `ok` holds on every process, the same answer on each (a no-op with one process)."""
    if jax.process_count() == 1:
        return ok
    return bool(np.all(multihost_utils.process_allgather(np.int32(ok))))


def restore_or_init(manager: ocp.CheckpointManager, init_fn, workdir, abstract=None):
    """Restores the newest readable checkpoint into the shapes and shardings of `init_fn()`; calls `init_fn` only
    when the workdir has no checkpoint at all.

    `init_fn` is a jitted zero-argument function with `out_shardings`, so `jax.eval_shape` gives the target
    shardings and nothing is computed twice. Returns (state, restored_step or None). Raises StructureMismatchError
    (nothing moved) or NoReadableCheckpointError when checkpoints exist but none can be read (nothing moved).
    """
    abstract = jax.eval_shape(init_fn) if abstract is None else abstract  # given: shapes and shardings of init_fn()
    steps = sorted(manager.all_steps(), reverse=True)
    if not steps:
        return init_fn(), None
    directory = epath.Path(manager.directory)
    unreadable = []
    for step in steps:
        check_structure(directory / str(step), abstract)
        try:
            state, error = restore_step(manager, step, abstract), None
        except Exception as e:  # Orbax raises many types for unreadable data.
            state, error = None, e
        if agree(error is None):
            _quarantine(directory, unreadable, workdir)
            manager.reload()  # forget the moved steps, so this run saves over them
            return state, step
        unreadable.append((step, error))
        logging.warning('Checkpoint at step %d is unreadable (%s); trying the previous one.', step, _describe(error))
    details = '\n'.join(f'  {directory}/{step}: {_describe(e)}' for step, e in unreadable)
    raise NoReadableCheckpointError(
        f'No checkpoint under {directory} could be read:\n{details}\nNothing was moved, and the run did not start '
        'again from step 0. Inspect or move these folders yourself, or train into a new --workdir.'
    )


def _describe(error) -> str:
    return f'{type(error).__name__}: {str(error).splitlines()[0][:300] if str(error) else ""}'


def _quarantine(directory: epath.Path, unreadable: list, workdir) -> None:
    """Moves the corrupt newer checkpoints to <workdir>/corrupt_checkpoints/ (process 0, between two barriers)."""
    if not unreadable:
        return
    target_dir = workdir_path(workdir) / 'corrupt_checkpoints'
    if jax.process_count() > 1:
        multihost_utils.sync_global_devices('aegan: before moving corrupt checkpoints')
    if jax.process_index() == 0:
        target_dir.mkdir(parents=True, exist_ok=True)
        for step, error in unreadable:
            target = target_dir / f'{step}-{int(time.time())}'
            (directory / str(step)).rename(target)
            logging.warning('Moved the unreadable checkpoint %d (%s) to %s.', step, _describe(error), target)
    if jax.process_count() > 1:
        multihost_utils.sync_global_devices('aegan: after moving corrupt checkpoints')


def config_path(workdir) -> epath.Path:
    return workdir_path(workdir) / 'config.json'


def read_config_json(workdir) -> dict:
    """The run's config.json as a dict; a damaged one (truncated, not JSON) is a one-line error that says what is
    left, and is never rewritten."""
    path = config_path(workdir)
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        checkpoints = workdir_path(workdir) / 'checkpoints'
        steps = sorted(ocp.utils.checkpoint_steps(checkpoints)) if checkpoints.exists() else []
        listed = f'step{"s" if len(steps) > 1 else ""} {", ".join(map(str, steps))}'
        kept = f'its checkpoints ({listed}) are' if steps else 'it has no checkpoints;'
        raise ValueError(
            f'{path} is damaged ({error.msg} at line {error.lineno}, column {error.colno}); it is left as it is and '
            f'{kept} untouched: restore config.json from a copy to go on with the run, or train into a new --workdir.'
        ) from None


def load_config(workdir) -> ml_collections.ConfigDict:
    return ml_collections.ConfigDict(read_config_json(workdir))


def save_config(config, workdir: str) -> None:
    """Writes config.json; on resume, refuses a config that differs from the saved one outside RESUMABLE_KEYS.

    A workdir is a run only once it has a checkpoint: a config.json without one (a start that failed before its
    first save) is replaced, with a message, so the corrected command runs where the failed one did."""
    path = config_path(workdir)
    new = json.loads(config.to_json_best_effort())
    checkpoints = workdir_path(workdir) / 'checkpoints'
    if path.exists() and not (checkpoints.exists() and ocp.utils.checkpoint_steps(checkpoints)):
        # Only process 0 writes config.json, so only it says so: the others may see the one it has just written.
        if jax.process_index() == 0:
            logging.warning('%s has a config.json but no checkpoint (an earlier start failed): replacing it.', workdir)
    elif path.exists():
        old = read_config_json(workdir)
        old_flat, new_flat = config_schema.flatten(old), config_schema.flatten(new)
        changed = sorted(k for k in old_flat.keys() | new_flat.keys() if _changed_on_resume(k, old_flat, new_flat))
        if changed:
            diff = '\n'.join(f'  {k}: {old_flat.get(k)!r} -> {new_flat.get(k)!r}' for k in changed)
            raise ValueError(
                f'{workdir} holds a run with a different config; resuming it with these changes would '
                f'mix two experiments:\n{diff}\nUse a new --workdir, or drop these overrides.'
            )
    if jax.process_index() == 0:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / (path.name + '.tmp')
        tmp.write_text(json.dumps(new, indent=2, sort_keys=True))
        tmp.replace(path)


def resolve_checkpoint(path: str) -> tuple[str, int]:
    """`path` is a workdir (its newest step) or `<workdir>/checkpoints/<step>`; returns (workdir, step)."""
    path = workdir_path(str(path).rstrip('/'))
    if path.parent.name == 'checkpoints' and path.name.isdigit():
        workdir, step = path.parent.parent, int(path.name)
        if not path.is_dir():
            raise FileNotFoundError(f'No checkpoint at {path}.')
    else:
        workdir, step = path, None
    seeds = sorted(p.name for p in workdir.glob('seed_*') if config_path(p).exists()) if workdir.is_dir() else []
    if not config_path(workdir).exists() and seeds:
        raise FileNotFoundError(
            f'{workdir} holds the runs of a group of seeds ({", ".join(seeds)}), each its own workdir: pass '
            f'--checkpoint={workdir}/{seeds[0]}.'
        )
    if not config_path(workdir).exists():
        raise FileNotFoundError(
            f'{workdir} has no config.json, so it is not an aegan workdir. Pass --checkpoint=<workdir> (the '
            '--workdir of aegan.train) or <workdir>/checkpoints/<step>.'
        )
    if step is None:
        steps = ocp.utils.checkpoint_steps(workdir / 'checkpoints')
        if not steps:
            raise FileNotFoundError(f'{workdir}/checkpoints holds no finished checkpoint; train longer first.')
        step = max(steps)
    return str(workdir), step


def restore_read_only(workdir: str, step: int, abstract_state):
    """Restores one step without touching the workdir (eval must never move or delete a user's checkpoint)."""
    step_dir = workdir_path(workdir) / 'checkpoints' / str(step)  # CheckpointManager's layout.
    check_structure(step_dir, abstract_state)
    options = ocp.CheckpointManagerOptions(
        read_only=True, create=False, save_interval_steps=0
    )  # never saves or deletes
    try:
        with ocp.CheckpointManager(step_dir.parent, options=options) as manager:
            return restore_step(manager, step, abstract_state)
    except Exception as e:  # Orbax raises many types for unreadable data.
        raise ValueError(
            f'Checkpoint {step_dir} is unreadable ({_describe(e)}). Pass an earlier one as '
            f'--checkpoint={workdir}/checkpoints/<step>.'
        ) from e
