"""`train_and_evaluate(config, workdir)`: data -> state -> jit(shard_map(step)) -> writers -> checkpoints.

Read top to bottom like big_vision's train.py. No globals: everything a run needs is built here from `config`.
"""

import functools
import time

import jax
import jax.numpy as jnp
import numpy as np
from absl import logging

from aegan import (
    checkpointing,
    config_schema,
    data,
    ema,
    filesystem,
    locking,
    methods,
    parallel,
    preemption,
    writers,
)
from aegan.methods import classifier
from aegan.metrics.mode_coverage import mixture_coverage

NUM_SAMPLES_2D = 2500  # PacGAN/VEEGAN's `num_log_figure_sample`.
NUM_IMAGES = 64


class NonFiniteError(FloatingPointError):
    """A loss or a parameter became NaN or infinite; the run stopped before saving it."""


def describe_non_finite(flags) -> str | None:
    """'non-finite values in loss term(s) [...] and in the parameters of network(s) [...]', or None when all are
    finite. `flags` as `parallel.with_finite_flags` returns them (for one run)."""
    flags = jax.device_get(flags)
    terms = sorted(k for k, ok in flags['metrics'].items() if not ok)
    nets = sorted(k for k, ok in flags['params'].items() if not ok)
    if not (terms or nets):
        return None
    return f'non-finite values in loss term(s) {terms or "none"} and in the parameters of network(s) {nets or "none"}'


def check_finite(step: int, flags, last_saved) -> None:
    """Raises NonFiniteError naming the non-finite loss terms and networks of `step`, and what to try."""
    what = describe_non_finite(flags)
    if what:
        kept = f'the checkpoints up to step {last_saved} are kept' if last_saved else 'no checkpoint had been written'
        raise NonFiniteError(
            f'Step {step}: {what}. Stopped without saving them; {kept}. Rerunning the same command resumes from the '
            'last good checkpoint; or train into a new --workdir with a lower learning rate for those networks '
            '(--config.optim.<net>.learning_rate), a smaller loss weight, or another seed.'
        )


def make_evaluator(method, dataset, writer: writers.MetricWriter, key, config):
    """Returns `evaluate(state, step) -> scalars`: sample grids / reconstructions, or 2D scatter + mode coverage."""
    if method.sample is None:  # a classifier: held-out accuracy only
        labels = dataset.info.get('test_labels')
        if dataset.test_data is None or labels is None:
            return lambda state, step: {}
        return lambda state, step: {'eval/test_accuracy': classifier.accuracy(method, state, dataset.test_data, labels)}
    sample = jax.jit(method.sample, static_argnums=2)
    reconstruct = jax.jit(method.reconstruct) if method.reconstruct else None
    is_2d = dataset.shape == (2,)
    test = dataset.test_data
    batch_stats = config.ema.batch_stats if ema.enabled(config) else 'raw'

    def evaluate_weights(state, step: int, prefix: str, suffix: str) -> dict:
        scalars = {}
        if is_2d:
            points = np.asarray(jax.device_get(sample(state, key, NUM_SAMPLES_2D)))
            writer.write_scatter(step, 'samples' + suffix, points, dataset.info.get('centers'))
            if 'centers' in dataset.info:
                coverage = mixture_coverage(points, dataset.info['centers'], dataset.info['std'])
                scalars.update({f'{prefix}/{k}': float(v) for k, v in coverage.items()})
            if reconstruct is not None and test is not None:
                rec = np.asarray(jax.device_get(reconstruct(state, jnp.asarray(test[:NUM_SAMPLES_2D]))))
                scalars[f'{prefix}/reconstruction_l1'] = float(np.abs(rec - test[: len(rec)]).mean())
        else:
            writer.write_image_grid(step, 'samples' + suffix, jax.device_get(sample(state, key, NUM_IMAGES)))
            if reconstruct is not None and test is not None:
                originals = test[: NUM_IMAGES // 2]
                rec = np.asarray(jax.device_get(reconstruct(state, jnp.asarray(originals))))
                if not suffix:
                    writer.write_reconstructions(step, originals, rec)
                scalars[f'{prefix}/reconstruction_l1'] = float(np.abs(rec - originals).mean())
        return scalars

    def evaluate(state, step: int) -> dict:
        """The trained weights as eval/* and `samples` grids (as before the average existed), and where the run has
        one the averaged weights, which aegan.eval reads by default, as eval_ema/* and `samples_ema` grids."""
        scalars = evaluate_weights(state, step, 'eval', '')
        if ema.has_average(state):
            scalars.update(evaluate_weights(ema.weights(state, 'ema', batch_stats), step, 'eval_ema', '_ema'))
        return scalars

    return evaluate


def train_and_evaluate(config, workdir: str, devices=None, seeds=None, replicas: str = 'auto'):
    """Trains `config.method` on `config.data` into `workdir`, resuming from its latest checkpoint.

    Args:
      config: the experiment's ConfigDict.
      workdir: where config.json, checkpoints/, tensorboard/ and images/ go.
      devices: the devices to train on (default: all devices of all processes).
      seeds: None for one run of `config.seed` in `workdir`; a list of seeds for that many runs trained as one
        program, each an ordinary run in `<workdir>/seed_<s>/` whose config says its seed (`seed_runs`).
      replicas: how a group's seeds share the program (`parallel.REPLICAS`); 'auto' is `replica_strategy(config)`.

    Returns the final TrainState (replicated over the devices); for a group, the seeds' states stacked.
    """
    # First of all: a SIGTERM during set-up or compilation must also end in a clean save-and-exit.
    with preemption.flag(enabled=jax.process_count() == 1) as preempted:
        return _train(config, workdir, devices, preempted, seeds, replicas)


def seed_runs(config, workdir, seeds=None) -> list[tuple[object, str]]:
    """[(config, workdir)] of the runs a command trains: the run itself, or one `<workdir>/seed_<s>` per seed; a
    workdir with `{seed}` in it names each seed's workdir itself (`--workdir=/runs/alphagan-s{seed}`, as the study
    lays its runs out)."""
    if seeds is None:
        return [(config, workdir)]
    seeds = [int(s) for s in seeds]
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f'--seeds={",".join(map(str, seeds))} must name at least one seed, each once.')
    runs = []
    for seed in seeds:
        run_config = config.copy_and_resolve_references()
        with run_config.unlocked():
            run_config.seed = seed
        path = str(workdir).replace('{seed}', str(seed)) if '{seed}' in str(workdir) else f'{workdir}/seed_{seed}'
        runs.append((run_config, str(checkpointing.workdir_path(path))))
    return runs


def replica_strategy(config) -> str:
    """'unroll' for conv nets on a CPU, else 'vmap': XLA:CPU runs a vmapped convolution (a grouped one) at half the
    speed of K separate ones, while vmapped matmuls gain (benchmarks/README.md, "Many seeds in one program")."""
    if jax.default_backend() == 'cpu' and config.model.kind == 'dcgan':
        return 'unroll'
    return 'vmap'


ADDED_SECTIONS = ('ema',)  # config sections added since runs were first saved: an older run resumes without them


def as_started(config, workdirs):
    """`config` without the `ADDED_SECTIONS` that an existing run in `workdirs` was started without (its config.json
    has no such section), with a warning: such a run resumes as it was trained (e.g. without a generator average)
    rather than being refused as a changed config."""
    for section in ADDED_SECTIONS:
        if section not in config:
            continue
        for workdir in workdirs:
            path = checkpointing.config_path(workdir)
            if path.exists() and section not in checkpointing.read_config_json(workdir):
                logging.warning(
                    '%s was started without a %r section in its config: it resumes without one (docs/training.md).',
                    workdir,
                    section,
                )
                config = config.copy_and_resolve_references()
                with config.unlocked():
                    del config[section]
                break
    return config


def check_config(config, devices=None):
    """Everything about `config` that can fail, before anything is written: the schema, the batch over the devices,
    the data and the method's own checks (e.g. conv nets on 2-D data). Returns (mesh, dataset, method)."""
    config_schema.validate(config)
    mesh = parallel.make_mesh(devices)
    parallel.check_batch_size(config.batch_size, mesh)
    dataset = data.get_dataset(config.data)
    return mesh, dataset, methods.get_method(config, dataset.shape)


def _train(config, workdir: str, devices, preempted, seeds, replicas):
    if seeds is None:
        workdir = checkpointing.workdir_path(workdir)  # gs://... stays remote; a local path becomes absolute
    elif '{seed}' not in str(workdir):
        workdir = str(checkpointing.workdir_path(workdir))
    config = as_started(config, [path for _, path in seed_runs(config, workdir, seeds)])
    mesh, dataset, method = check_config(config, devices)  # fails fast, before anything is written
    runs = [
        _Run(run_config, checkpointing.workdir_path(path)) for run_config, path in seed_runs(config, workdir, seeds)
    ]
    in_use = None
    if jax.process_index() == 0:
        for run in runs:
            try:
                run.lock.acquire()  # before anything of this run is written
                run.locked = True
            except (locking.WorkdirInUseError, filesystem.StorageError) as e:  # every process must hear of it
                in_use = in_use or e
    try:
        if not checkpointing.agree(in_use is None):  # every process stops, not just process 0
            raise in_use or locking.WorkdirInUseError(f'process 0 could not take {workdir}: see its log for why.')
        if seeds is not None and replicas == 'auto':
            replicas = replica_strategy(config)
        return _train_locked(runs, mesh, dataset, method, preempted, None if seeds is None else replicas)
    finally:
        _close(runs)  # after a failed set-up (e.g. seeds at different steps): the managers made before it
        for run in runs:
            if run.locked:
                run.lock.release()


class _Run:
    """One run's own parts (its seed's config, workdir, lock, checkpoints, writer) in a command of one or more."""

    def __init__(self, config, workdir):
        self.config, self.workdir, self.seed = config, workdir, config.seed
        self.lock, self.locked = locking.WorkdirLock(workdir), False
        self.manager = self.writer = None
        self.last_saved = None


def _stacking(mesh):
    """(stack(states) -> one state with a leading seed axis, take(state, k) -> seed k's), both replicated."""
    out = parallel.replicated(mesh)
    stack = jax.jit(lambda *states: jax.tree.map(lambda *xs: jnp.stack(xs), *states), out_shardings=out)
    take = jax.jit(lambda state, k: jax.tree.map(lambda x: x[k], state), out_shardings=out)
    return stack, take


def _train_locked(runs, mesh, dataset, method, preempted, replicas):
    config = runs[0].config  # the seeds' configs differ only in their seed
    grouped = replicas is not None
    stack, take = _stacking(mesh)
    seed_state = (lambda state, k: take(state, k)) if grouped else (lambda state, k: state)
    for run in runs:
        checkpointing.save_config(run.config, run.workdir)

    # ---- State: restored from the newest readable checkpoint, or initialised replicated. -------------------------
    example = jnp.zeros((1, *dataset.shape), jnp.float32)
    init_with = jax.jit(lambda key: method.init(key, example), out_shardings=parallel.replicated(mesh))  # once for all
    states, starts = [], []
    for run in runs:
        init_key, run.step_key, run.eval_key = jax.random.split(jax.random.key(run.seed), 3)
        init = functools.partial(init_with, init_key)
        run.manager = checkpointing.make_manager(run.workdir, run.config, f'seed_{run.seed}' if grouped else None)
        abstract = jax.eval_shape(init_with, init_key)
        state, run.last_saved = checkpointing.restore_or_init(run.manager, init, run.workdir, abstract)
        if run.last_saved is not None:
            logging.info('Resumed from %s/checkpoints/%d.', run.workdir, run.last_saved)
        states.append(state)
        starts.append(int(jax.device_get(state.step)))
    if len(set(starts)) > 1:
        at = ', '.join(f'seed {run.seed} at step {s}' for run, s in zip(runs, starts, strict=True))
        raise ValueError(
            f'The seeds of a group must resume from the same step; they are at: {at}. Bring the others level first '
            f'(e.g. --seeds=<one of them> --config.num_train_steps={max(starts)}), or train them apart.'
        )
    start = starts[0]
    state = stack(*states) if grouped else states[0]
    step_key = jnp.stack([run.step_key for run in runs]) if grouped else runs[0].step_key
    del states

    # ---- Step, writers. ------------------------------------------------------------------------------------------
    update = parallel.shard_step(parallel.with_finite_flags(method.update), mesh, replicas=replicas)
    for run in runs:
        run.writer = writers.MetricWriter(
            run.workdir, enabled=jax.process_index() == 0, label=f'seed {run.seed}: ' if grouped else ''
        )
        run.evaluate = make_evaluator(method, dataset, run.writer, run.eval_key, run.config)
    progress = writers.Progress(config.num_train_steps, start)
    total = config.num_train_steps
    logging.info(
        'Training %s on %s: steps %d -> %d on %d device(s)%s.',
        method.name,
        dataset.name,
        start,
        total,
        mesh.devices.size,
        f', seeds {[run.seed for run in runs]} as one program ({replicas})' if grouped else '',
    )

    # ---- Loop. The batch of a step is a pure function of (seed, step), so resumption is exact. ----------------
    if start >= total:
        logging.info('Nothing to do: the checkpoint is at step %d >= num_train_steps=%d.', start, total)
    step = start
    process = (jax.process_index(), jax.process_count())
    batches = [dataset.batches(run.seed, start, config.batch_size, *process, method.labelled) for run in runs]
    manager = runs[0].manager
    try:
        while step < total:
            first_started = time.perf_counter() if step == start else None
            batch = [next(b) for b in batches]
            batch = jax.tree.map(lambda *xs: np.stack(xs), *batch) if grouped else batch[0]
            global_batch = parallel.to_global_batch(batch, mesh, seed_axis=grouped)
            state, metrics, finite = update(state, global_batch, step_key)
            if first_started is not None:  # the start-up cost a user waits for (benchmarks/startup.py reads it)
                jax.block_until_ready(metrics)
                logging.info(
                    'First step (compiling the update, or loading it from the compilation cache, and running it): '
                    '%.2f s.',
                    time.perf_counter() - first_started,
                )
            step += 1
            last = step == total
            stop = preempted() or (jax.process_count() > 1 and manager.reached_preemption(step))
            save_now = last or stop or step % config.checkpoint_every_steps == 0
            if step % config.log_every_steps == 0 or save_now:  # a NaN is never logged as progress, nor saved
                if grouped:
                    check_group_finite(step, runs, finite, state, take, config)
                else:
                    check_finite(step, finite, runs[0].last_saved)
            if step % config.log_every_steps == 0 or last:
                metrics = jax.device_get(metrics)
                report = progress.report(step)
                for k, run in enumerate(runs):
                    scalars = {name: float(v[k] if grouped else v) for name, v in metrics.items()}
                    run.writer.write_scalars(step, {**scalars, **report})
                    if jax.process_index() == 0:
                        run.lock.refresh()
            if step % config.sample_every_steps == 0 or last:
                for k, run in enumerate(runs):
                    run.writer.write_scalars(step, run.evaluate(seed_state(state, k), step))
            if save_now:
                for k, run in enumerate(runs):
                    if checkpointing.save(
                        run.manager, step, seed_state(state, k), config.checkpoint_every_steps, force=last or stop
                    ):
                        run.last_saved = step
            if stop:
                logging.warning('Preempted: saved the checkpoint of step %d; rerun the same command to resume.', step)
                break
    except OSError as error:  # a log, an image or an event file that could not be written (the saves raise their own)
        if not filesystem.is_storage_fault(error):
            raise
        saved = runs[0].last_saved
        resume = f' to resume from step {saved}' if saved is not None else ''
        if not checkpointing.config_path(runs[0].workdir).exists():
            resume = checkpointing.REMOVED_UNDER_THE_RUN
        doing = f'writing step {step} of {runs[0].workdir}'
        raise filesystem.StorageError(filesystem.describe(error, doing, checkpointing.MOVE_WORKDIR) + resume) from error
    finally:  # also on errors: the checkpoints already started are finished, never left half-written
        _close(runs)
    return state


def _close(runs) -> None:
    """Finishes the runs' checkpoint saves and closes their managers and writers (those made so far; once)."""
    for run in runs:
        if run.manager is not None:
            try:
                run.manager.wait_until_finished()
                run.manager.close()
            except Exception as error:  # a failed save has been reported by checkpointing.save; nothing else to do
                if not filesystem.is_storage_fault(error):
                    raise
            run.manager = None
        if run.writer is not None:
            run.writer.close()
            run.writer = None


def check_group_finite(step: int, runs, flags, state, take, config) -> None:
    """`check_finite` for a group: when some seeds went non-finite, saves the finite seeds' states of `step` (their
    progress is kept; the non-finite ones are never saved) and raises NonFiniteError naming the seeds and saying how to
    go on without them."""
    flags = jax.device_get(flags)
    bad = {}
    for k, run in enumerate(runs):
        what = describe_non_finite(jax.tree.map(lambda ok, k=k: bool(ok[k]), flags))
        if what:
            bad[run.seed] = what
    if not bad:
        return
    good = [(k, run) for k, run in enumerate(runs) if run.seed not in bad]
    for k, run in good:
        if checkpointing.save(run.manager, step, take(state, k), config.checkpoint_every_steps, force=True):
            run.last_saved = step
    kept = lambda run: (  # noqa: E731
        f'its checkpoints up to step {run.last_saved} are kept' if run.last_saved else 'it has no checkpoint'
    )
    lines = '; '.join(f'seed {run.seed}: {bad[run.seed]} ({kept(run)})' for run in runs if run.seed in bad)
    others = ','.join(str(run.seed) for _, run in good)
    go_on = f'The other seeds were saved at step {step}: continue them with --seeds={others}. ' if good else ''
    raise NonFiniteError(
        f'Step {step}: non-finite values in seed(s) {sorted(bad)}, not saved: {lines}. {go_on}Train a stopped seed '
        'again into a new --workdir with a lower learning rate (--config.optim.<net>.learning_rate), a smaller loss '
        'weight, or drop it.'
    )
