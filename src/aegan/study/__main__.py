"""The mode-collapse study in one command (docs/study.md).

    python -m aegan.study --suite=stacked_mnist --root=DIR [--seeds=0,1,2] [--parallel=N]   # train + eval, resumable
    python -m aegan.study --suite=stacked_mnist --root=DIR --dry_run                       # list the runs
    python -m aegan.study --suite=stacked_mnist --root=DIR --launcher=slurm                # write DIR/study.sbatch
    python -m aegan.study --report --root=DIR [--out=results/SUITE]                        # results.{md,csv,json}, PNGs
    python -m aegan.study --report --root=DIR --steps=5000     # the 5,000-step stage while a longer one trains

Every (method, setting, seed) of the suite trains into `DIR/<method>-<setting>-s<seed>/` with `aegan.train` and is
evaluated there with `aegan.eval`; runs with their eval JSONs are skipped, half-trained ones resume. Run it from the
repository root (the suites use `experiments/<method>_<dataset>.py`).
"""

import os
import sys

from absl import app, flags

from aegan import cli, filesystem
from aegan.study import report, runs, suites

FLAGS = flags.FLAGS
flags.DEFINE_enum('suite', None, sorted(suites.SUITES), 'Which suite to run.')
flags.DEFINE_string('root', None, 'Directory of the study: one workdir per run, logs/, study.json, the report.')
flags.DEFINE_list('seeds', None, "Seeds (default: the suite's).")
flags.DEFINE_list('methods', None, f'A subset of {list(suites.FAMILY)} (default: all).')
flags.DEFINE_list('settings', None, "A subset of the suite's settings, e.g. hard (default: all).")
flags.DEFINE_integer(
    'steps',
    None,
    "Training steps of every run (default: the suite's budget). With --report: the stage to report (default: "
    "each run's budget in study.json), e.g. 5000 while the 10000-step stage trains.",
)
flags.DEFINE_list('set', [], 'Config overrides for every run, key=value (e.g. checkpoint_every_steps=100).')
flags.DEFINE_list(
    'metrics',
    [],
    "Metrics every run's eval must hold besides its defaults; finished runs that lack them are evaluated for those "
    'alone (merged into their eval JSONs), e.g. --metrics=precision_recall,density_coverage.',
)
flags.DEFINE_bool('ppgn', True, 'Also evaluate the methods with an encoder with --sampler=ppgn.')
flags.DEFINE_integer(
    'parallel', 1, 'Units carried out at the same time (local launcher): runs, or groups of seeds (--group_seeds).'
)
flags.DEFINE_enum(
    'launcher', 'local', ['local', 'slurm'], 'local: run here. slurm: write DIR/study.sbatch, a job array.'
)
flags.DEFINE_bool('dry_run', False, 'List the runs and their state; run nothing.')
flags.DEFINE_bool('report', False, 'Collect the eval JSONs under --root into results.md/.csv/.json and PNGs.')
flags.DEFINE_string('out', None, 'With --report: where to write it (default: --root), e.g. results/<suite>.')
flags.DEFINE_string(
    'earlier',
    None,
    "With --report: an earlier report's results.json; its rows of runs not under --root are kept (a lost root).",
)
flags.DEFINE_string('experiments_dir', 'experiments', 'Where the <method>_<dataset>.py configs are.')
flags.DEFINE_integer(
    'run_index', None, 'Carry out only this unit of the plan (a run, or a group of seeds; what each SLURM task does).'
)
flags.DEFINE_enum(
    'group_seeds',
    'auto',
    ['auto', 'yes', 'no'],
    'Train the seeds of one (method, setting) as one program (aegan.train --seeds). auto: where that is faster '
    '(runs.should_group_seeds: the 2-D suites everywhere, the image suites on a GPU/TPU, and under --launcher=slurm, '
    'whose script asks for a GPU).',
)


def main(argv):
    with cli.user_errors('aegan.study'), filesystem.writing('writing the study', 'pass another --root (or --out)'):
        _main(argv)


def _main(argv):
    if len(argv) > 1:
        raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
    if not FLAGS.root:
        raise app.UsageError('--root is required: the directory the study writes to (and reads, with --report).')
    root = os.path.abspath(os.path.expanduser(FLAGS.root))
    if FLAGS.report:
        try:
            written = report.write_report(root, FLAGS.out, FLAGS.earlier, FLAGS.steps)
        except (FileNotFoundError, report.EarlierReportError) as e:
            sys.exit(f'aegan.study: {e}')
        print('\n'.join(['wrote:', *(f'  {path}' for path in written)]))
        return
    if not FLAGS.suite:
        raise app.UsageError(f'--suite is required; one of {sorted(suites.SUITES)}.')
    try:
        seeds = [int(s) for s in FLAGS.seeds] if FLAGS.seeds else None
    except ValueError as e:
        raise app.UsageError(f'--seeds must be integers separated by commas: {e}') from None
    try:
        extra = [tuple(item.split('=', 1)) for item in FLAGS.set]
        if any(len(item) != 2 for item in extra):
            raise ValueError(f'--set takes key=value items; got {FLAGS.set}.')
        plan = runs.plan(
            FLAGS.suite, seeds, FLAGS.methods, FLAGS.steps, FLAGS.ppgn, FLAGS.experiments_dir, extra, FLAGS.settings
        )
    except (ValueError, FileNotFoundError) as e:
        sys.exit(f'aegan.study: {e}')
    if FLAGS.metrics:
        from aegan.evaluators import registry  # jax: imported only when needed

        unknown = sorted(set(FLAGS.metrics) - set(registry.METRICS))
        if unknown:
            sys.exit(f'aegan.study: unknown --metrics {unknown}; valid choices: {list(registry.METRICS)}.')
    if FLAGS.group_seeds != 'auto':
        group_seeds = FLAGS.group_seeds == 'yes'
    elif FLAGS.run_index is not None or FLAGS.dry_run:
        # A task of an array written before units existed indexes runs: ungrouped. A dry run lists the runs.
        group_seeds = False
    else:
        backend = 'gpu' if FLAGS.launcher == 'slurm' else runs.default_backend()
        group_seeds = runs.should_group_seeds(plan, backend)
    if FLAGS.run_index is not None:
        plan_units = runs.units(plan, group_seeds)
        if not 0 <= FLAGS.run_index < len(plan_units):
            sys.exit(f'aegan.study: --run_index={FLAGS.run_index} is outside the plan of {len(plan_units)} units.')
        plan = plan_units[FLAGS.run_index]
    if FLAGS.dry_run:
        for index, run in enumerate(plan):
            state = 'done' if runs.is_done(run, root, FLAGS.metrics) else 'to run'
            print(f'{index:4d}  {run.name:<28} {state:<7} {" ".join(run.train_command(root)[3:])}')
        print(f'{len(plan)} runs ({sum(runs.is_done(r, root, FLAGS.metrics) for r in plan)} done) in {root}')
        return
    try:
        # An array task's unit is in the manifest its --launcher=slurm call wrote: the tasks, which run at once,
        # leave it alone rather than race to rewrite it (each would drop the others' runs).
        if FLAGS.run_index is None or runs.read_manifest(root, FLAGS.suite) is None:
            runs.write_manifest(root, FLAGS.suite, plan)
    except ValueError as e:
        sys.exit(f'aegan.study: {e}')
    if FLAGS.launcher == 'slurm':
        study_flags = [f'--suite={FLAGS.suite}', f'--root={root}', f'--experiments_dir={FLAGS.experiments_dir}']
        study_flags += [f'--seeds={",".join(map(str, seeds))}'] if seeds else []
        study_flags += [f'--methods={",".join(FLAGS.methods)}'] if FLAGS.methods else []
        study_flags += [f'--settings={",".join(FLAGS.settings)}'] if FLAGS.settings else []
        study_flags += [f'--steps={FLAGS.steps}'] if FLAGS.steps else []
        study_flags += [] if FLAGS.ppgn else ['--noppgn']
        study_flags += [f'--set={",".join(FLAGS.set)}'] if FLAGS.set else []
        study_flags += [f'--metrics={",".join(FLAGS.metrics)}'] if FLAGS.metrics else []
        study_flags += [f'--group_seeds={"yes" if group_seeds else "no"}']  # the same units on every node
        script = runs.write_slurm(plan, root, FLAGS.suite, study_flags, group_seeds)
        tasks = len(runs.units(plan, group_seeds))
        print(f'wrote {script} ({tasks} array tasks); submit it with: sbatch {script}')
        return
    outcomes = runs.run_local(plan, root, FLAGS.parallel, metrics=FLAGS.metrics, group_seeds=group_seeds)
    unfinished = [f'{name}: {outcome}' for name, outcome in outcomes if outcome.startswith(('failed', 'stopped'))]
    not_started = sum(outcome == runs.NOT_STARTED for _, outcome in outcomes)  # after SIGTERM or SIGINT
    if unfinished or not_started:
        unfinished += [f'{not_started} run{"s" if not_started > 1 else ""} not started'] if not_started else []
        sys.exit('aegan.study: not every run is done (rerun the same command to resume):\n' + '\n'.join(unfinished))
    print(f'all {len(plan)} runs done; the report: python -m aegan.study --report --root={root}')


if __name__ == '__main__':
    app.run(main)
