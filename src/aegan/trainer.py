"""`train_and_evaluate(config, workdir)`: data -> state -> jit(shard_map(step)) -> writers -> checkpoints.

Read top to bottom like big_vision's train.py. No globals: everything a run needs is built here from `config`.
"""

import time

import jax
import jax.numpy as jnp
import numpy as np
from absl import logging

from aegan import checkpointing, config_schema, data, locking, methods, parallel, preemption, writers
from aegan.methods import classifier
from aegan.metrics.mode_coverage import mixture_coverage

NUM_SAMPLES_2D = 2500  # PacGAN/VEEGAN's `num_log_figure_sample`.
NUM_IMAGES = 64


class NonFiniteError(FloatingPointError):
    """A loss or a parameter became NaN or infinite; the run stopped before saving it."""


def check_finite(step: int, flags, last_saved) -> None:
    """Raises NonFiniteError naming the non-finite loss terms and networks of `step`, and what to try."""
    flags = jax.device_get(flags)
    terms = sorted(k for k, ok in flags['metrics'].items() if not ok)
    nets = sorted(k for k, ok in flags['params'].items() if not ok)
    if terms or nets:
        kept = f'the checkpoints up to step {last_saved} are kept' if last_saved else 'no checkpoint had been written'
        raise NonFiniteError(
            f'Step {step}: non-finite values in loss term(s) {terms or "none"} and in the parameters of network(s) '
            f'{nets or "none"}. Stopped without saving them; {kept}. Try a lower learning rate for those networks '
            '(--config.optim.<net>.learning_rate), a smaller loss weight, or another seed; rerunning the same command '
            'resumes from the last good checkpoint.'
        )


def make_evaluator(method, dataset, writer: writers.MetricWriter, key):
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

    def evaluate(state, step: int) -> dict:
        scalars = {}
        if is_2d:
            points = np.asarray(jax.device_get(sample(state, key, NUM_SAMPLES_2D)))
            writer.write_scatter(step, 'samples', points, dataset.info.get('centers'))
            if 'centers' in dataset.info:
                coverage = mixture_coverage(points, dataset.info['centers'], dataset.info['std'])
                scalars.update({f'eval/{k}': float(v) for k, v in coverage.items()})
            if reconstruct is not None and test is not None:
                rec = np.asarray(jax.device_get(reconstruct(state, jnp.asarray(test[:NUM_SAMPLES_2D]))))
                scalars['eval/reconstruction_l1'] = float(np.abs(rec - test[: len(rec)]).mean())
        else:
            writer.write_image_grid(step, 'samples', jax.device_get(sample(state, key, NUM_IMAGES)))
            if reconstruct is not None and test is not None:
                originals = test[: NUM_IMAGES // 2]
                rec = np.asarray(jax.device_get(reconstruct(state, jnp.asarray(originals))))
                writer.write_reconstructions(step, originals, rec)
                scalars['eval/reconstruction_l1'] = float(np.abs(rec - originals).mean())
        return scalars

    return evaluate


def train_and_evaluate(config, workdir: str, devices=None):
    """Trains `config.method` on `config.data` into `workdir`, resuming from its latest checkpoint.

    Args:
      config: the experiment's ConfigDict.
      workdir: where config.json, checkpoints/, tensorboard/ and images/ go.
      devices: the devices to train on (default: all devices of all processes).

    Returns the final TrainState (replicated over the devices).
    """
    # First of all: a SIGTERM during set-up or compilation must also end in a clean save-and-exit.
    with preemption.flag(enabled=jax.process_count() == 1) as preempted:
        return _train(config, workdir, devices, preempted)


def check_config(config, devices=None):
    """Everything about `config` that can fail, before anything is written: the schema, the batch over the devices,
    the data and the method's own checks (e.g. conv nets on 2-D data). Returns (mesh, dataset, method)."""
    config_schema.validate(config)
    mesh = parallel.make_mesh(devices)
    parallel.check_batch_size(config.batch_size, mesh)
    dataset = data.get_dataset(config.data)
    return mesh, dataset, methods.get_method(config, dataset.shape)


def _train(config, workdir: str, devices, preempted):
    workdir = checkpointing.workdir_path(workdir)  # gs://... stays remote; a local path becomes absolute
    mesh, dataset, method = check_config(config, devices)  # fails fast, before anything is written
    lock, in_use = locking.WorkdirLock(workdir), None
    if jax.process_index() == 0:
        try:
            lock.acquire()  # before anything of this run is written
        except locking.WorkdirInUseError as e:
            in_use = e
    if not checkpointing.agree(in_use is None):  # every process stops, not just process 0
        raise in_use or locking.WorkdirInUseError(f"{workdir} is in use by another run: see process 0's log.")
    try:
        return _train_locked(config, workdir, mesh, dataset, method, preempted, lock)
    finally:
        if jax.process_index() == 0:
            lock.release()


def _train_locked(config, workdir, mesh, dataset, method, preempted, lock):
    checkpointing.save_config(config, workdir)

    # ---- State: restored from the newest readable checkpoint, or initialised replicated. -------------------------
    init_key, step_key, eval_key = jax.random.split(jax.random.key(config.seed), 3)
    example = jnp.zeros((1, *dataset.shape), jnp.float32)
    init = jax.jit(lambda: method.init(init_key, example), out_shardings=parallel.replicated(mesh))
    manager = checkpointing.make_manager(workdir, config)
    state, restored = checkpointing.restore_or_init(manager, init, workdir)
    start = int(jax.device_get(state.step))
    if restored is not None:
        logging.info('Resumed from %s/checkpoints/%d.', workdir, restored)

    # ---- Step, writers. ------------------------------------------------------------------------------------------
    update = parallel.shard_step(parallel.with_finite_flags(method.update), mesh)
    writer = writers.MetricWriter(workdir, enabled=jax.process_index() == 0)
    evaluate = make_evaluator(method, dataset, writer, eval_key)
    progress = writers.Progress(config.num_train_steps, start)
    total = config.num_train_steps
    logging.info(
        'Training %s on %s: steps %d -> %d on %d device(s).', method.name, dataset.name, start, total, mesh.devices.size
    )

    # ---- Loop. The batch of a step is a pure function of (seed, step), so resumption is exact. ----------------
    if start >= total:
        logging.info('Nothing to do: the checkpoint is at step %d >= num_train_steps=%d.', start, total)
    step, last_saved = start, restored
    batches = dataset.batches(
        config.seed, start, config.batch_size, jax.process_index(), jax.process_count(), method.labelled
    )
    try:
        while step < total:
            first_started = time.perf_counter() if step == start else None
            state, metrics, finite = update(state, parallel.to_global_batch(next(batches), mesh), step_key)
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
            if step % config.log_every_steps == 0 or save_now:
                check_finite(step, finite, last_saved)  # a NaN is never logged as progress, nor saved
            if step % config.log_every_steps == 0 or last:
                scalars = {k: float(v) for k, v in jax.device_get(metrics).items()}
                writer.write_scalars(step, {**scalars, **progress.report(step)})
                if jax.process_index() == 0:
                    lock.refresh()
            if step % config.sample_every_steps == 0 or last:
                writer.write_scalars(step, evaluate(state, step))
            if checkpointing.save(manager, step, state, config.checkpoint_every_steps, force=last or stop):
                last_saved = step
            if stop:
                logging.warning('Preempted: saved the checkpoint of step %d; rerun the same command to resume.', step)
                break
    finally:  # also on errors: the checkpoints already started are finished, never left half-written
        manager.wait_until_finished()
        manager.close()
        writer.close()
    return state
