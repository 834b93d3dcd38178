"""Trains a model: `python -m aegan.train --config=experiments/alphagan_ring8.py --workdir=/tmp/ring8`.

Kept short on purpose (as in the Flax examples): flags only; the logic is `trainer.train_and_evaluate`, which tests
call directly. Override any config key with `--config.<key>=<value>`.
"""

import os
import sys

import jax
from absl import app, flags, logging
from ml_collections import config_flags

from aegan import checkpointing, cli, compilation_cache, config_schema, locking, trainer, writers

FLAGS = flags.FLAGS
# Errors that end a run with exit status 1 and their message alone (each names the cause and the fix).
STOPS = (
    trainer.NonFiniteError,
    locking.WorkdirInUseError,
    checkpointing.StructureMismatchError,
    checkpointing.NoReadableCheckpointError,
)
config_flags.DEFINE_config_file('config', None, 'Experiment config file (a get_config() .py file).', lock_config=True)
flags.DEFINE_string('workdir', None, 'Where checkpoints, config.json, TensorBoard files and images go.')
flags.DEFINE_bool(
    'distributed',
    False,
    'Multi-host: call jax.distributed.initialize() before anything else. Without the three flags below it '
    'auto-detects the cluster (SLURM, Cloud TPU VMs, Open MPI, Kubernetes); with them it uses them (e.g. several '
    'CPU processes on one machine). Also on when AEGAN_DISTRIBUTED=1.',
)
flags.DEFINE_string('coordinator_address', None, 'host:port of process 0 (explicit multi-process set-up).')
flags.DEFINE_integer('num_processes', None, 'Number of processes (explicit multi-process set-up).')
flags.DEFINE_integer('process_id', None, 'This process, 0 .. num_processes - 1 (explicit multi-process set-up).')
flags.DEFINE_string(
    'compilation_cache',
    compilation_cache.default_dir(),
    f"JAX's persistent compilation cache directory ('' = off; default from ${compilation_cache.ENV} if set).",
)
flags.DEFINE_list(
    'seeds',
    None,
    'Train these seeds (e.g. 0,1,2,3) together as one program: each an ordinary run in <workdir>/seed_<s>/ with its '
    'own config.json, checkpoints and logs (docs/training.md, "Many seeds in one program"). Replaces config.seed.',
)
flags.DEFINE_enum(
    'replicas',
    'auto',
    ('auto', 'vmap', 'unroll'),
    "How --seeds share the program: 'vmap' (one vectorised step), 'unroll' (K steps side by side) or 'auto' (unroll "
    'for conv nets on a CPU, vmap elsewhere: measured faster there).',
)
flags.DEFINE_bool('describe', False, 'Print the resolved config, each key with its meaning and allowed values; exit.')
flags.mark_flags_as_required(['config'])


def initialize_distributed() -> None:
    """jax.distributed.initialize(), explicit when all of --coordinator_address/--num_processes/--process_id are
    given, auto-detected when none is; a partial set is a usage error rather than a hang."""
    explicit = (FLAGS.coordinator_address, FLAGS.num_processes, FLAGS.process_id)
    if any(v is not None for v in explicit) and not all(v is not None for v in explicit):
        raise app.UsageError('Give all of --coordinator_address, --num_processes and --process_id, or none of them.')
    if all(v is not None for v in explicit):
        jax.distributed.initialize(FLAGS.coordinator_address, FLAGS.num_processes, FLAGS.process_id)
    else:
        jax.distributed.initialize()


def _seeds():
    """--seeds as integers (None when not given); anything else is a usage error."""
    if FLAGS.seeds is None:
        return None
    try:
        return [int(s) for s in FLAGS.seeds]
    except ValueError:
        raise app.UsageError(f'--seeds={",".join(FLAGS.seeds)} must be integers, e.g. --seeds=0,1,2,3.') from None


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
    if FLAGS.describe:
        print(config_schema.describe(FLAGS.config))
        return
    if not FLAGS.workdir:
        raise app.UsageError('--workdir is required: where checkpoints, config.json and the logs of the run go.')
    if FLAGS['replicas'].present and FLAGS.seeds is None:
        raise app.UsageError('--replicas says how --seeds share one program: give --seeds too.')
    if '{seed}' in FLAGS.workdir and FLAGS.seeds is None:
        raise app.UsageError('--workdir with {seed} in it names the workdir of each of --seeds: give --seeds too.')
    with cli.user_errors('aegan.train'):
        config_schema.validate(FLAGS.config)  # before the distributed set-up: one line from every process, no hang
    writers.quiet_library_logs()
    compilation_cache.enable(FLAGS.compilation_cache)
    if FLAGS.distributed or os.environ.get('AEGAN_DISTRIBUTED') == '1':
        initialize_distributed()
    logging.info(
        'JAX %s: process %d of %d, %d local / %d global devices (%s).',
        jax.__version__,
        jax.process_index(),
        jax.process_count(),
        jax.local_device_count(),
        jax.device_count(),
        jax.default_backend(),
    )
    try:
        with cli.user_errors('aegan.train'):
            trainer.train_and_evaluate(FLAGS.config, FLAGS.workdir, seeds=_seeds(), replicas=FLAGS.replicas)
    except STOPS as e:  # the message says what happened and what to do; a traceback would add nothing
        logging.error('%s', e)
        sys.exit(f'aegan.train stopped: {e}')


if __name__ == '__main__':
    app.run(main, flags_parser=cli.config_flags_parser('aegan.train'))
