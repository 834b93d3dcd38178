"""Trains a model: `python -m aegan.train --config=experiments/alphagan_ring8.py --workdir=/tmp/ring8`.

Kept short on purpose (as in the Flax examples): flags only; the logic is `trainer.train_and_evaluate`, which tests
call directly. Override any config key with `--config.<key>=<value>`.
"""

import jax
from absl import app, flags, logging
from ml_collections import config_flags

from aegan import trainer, writers

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file('config', None, 'Experiment config file (a get_config() .py file).', lock_config=True)
flags.DEFINE_string('workdir', None, 'Where checkpoints, config.json, TensorBoard files and images go.')
flags.DEFINE_bool(
    'distributed',
    False,
    'Call jax.distributed.initialize() (multi-host; auto-detects SLURM, Cloud TPU VMs, Open MPI, Kubernetes).',
)
flags.mark_flags_as_required(['config', 'workdir'])


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
    writers.quiet_library_logs()
    if FLAGS.distributed:
        jax.distributed.initialize()
    logging.info(
        'JAX %s: process %d of %d, %d local / %d global devices (%s).',
        jax.__version__,
        jax.process_index(),
        jax.process_count(),
        jax.local_device_count(),
        jax.device_count(),
        jax.default_backend(),
    )
    trainer.train_and_evaluate(FLAGS.config, FLAGS.workdir)


if __name__ == '__main__':
    app.run(main)
