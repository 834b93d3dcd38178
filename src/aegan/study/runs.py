"""Plans a suite into runs and carries them out: each run is `aegan.train` then `aegan.eval` as subprocesses, so a
run resumes through the train binary's own resume and a failed run costs only itself.

With `group_seeds`, the seeds of one (method, setting) train as one program (`aegan.train --seeds=...`, each seed
still in its own `<root>/<run>/`), then each is evaluated alone: a *unit* of work is such a group (`units`), and a
SLURM array task is one unit. `should_group_seeds` says where that is faster (benchmarks/README.md, "Many seeds in
one program").

A run is done when its eval JSON(s) for the final step exist; the study skips those, resumes half-trained ones and
records each run's wall time in `<root>/logs/<run>.json` (train and eval seconds summed over attempts).
"""

import concurrent.futures
import dataclasses
import json
import os
import shlex
import subprocess
import sys
import time

from aegan import cli
from aegan.study import stopping, suites

MANIFEST = 'study.json'
NOT_STARTED = 'not started (the study was stopped)'
SMALL_MLP_UNITS = 128  # widest hidden layer of an MLP whose seeds train faster as one program on a CPU


@dataclasses.dataclass(frozen=True)
class Run:
    method: str
    setting: str  # 'any' for methods that the suite's settings do not change
    seed: int
    config: str  # experiments/<method>_<dataset>.py
    num_train_steps: int
    overrides: tuple[tuple[str, object], ...]  # (config key, value), passed as --config.<key>=<value>
    samplers: tuple[str, ...]

    @property
    def name(self) -> str:
        return f'{self.method}-{self.setting}-s{self.seed}'

    def eval_json(self, root: str, sampler: str) -> str:
        return eval_json(root, self.name, self.num_train_steps, sampler)

    @property
    def group_key(self) -> tuple:
        """What the seeds of one group share: everything but the seed."""
        return (self.method, self.setting, self.config, self.num_train_steps, self.overrides)

    def train_command(self, root: str) -> list[str]:
        return [
            sys.executable,
            '-m',
            'aegan.train',
            f'--config={self.config}',
            f'--workdir={os.path.join(root, self.name)}',
            f'--config.seed={self.seed}',
            f'--config.num_train_steps={self.num_train_steps}',
            *(f'--config.{key}={value}' for key, value in self.overrides),
        ]

    def eval_command(self, root: str, sampler: str, metrics=()) -> list[str]:
        """The eval of the budget's checkpoint (not the newest: a root trained on past this stage, or a run stopped
        after it, holds later ones): its default metrics, or only `metrics` (merged into the eval JSON)."""
        command = [
            sys.executable,
            '-m',
            'aegan.eval',
            f'--checkpoint={os.path.join(root, self.name, "checkpoints", str(self.num_train_steps))}',
            f'--sampler={sampler}',
        ]
        return command + ([f'--metrics={",".join(metrics)}'] if metrics else [])


def group_train_command(group: list[Run], root: str) -> list[str]:
    """`aegan.train --seeds=...` for runs that differ only in their seed, each into its own `<root>/<run>/`."""
    first = group[0]
    command = first.train_command(root)
    template = os.path.join(root, f'{first.method}-{first.setting}-s' + '{seed}')  # Run.name, per seed
    command = [c for c in command if not c.startswith(('--workdir=', '--config.seed='))]
    return [*command[:4], f'--workdir={template}', f'--seeds={",".join(str(r.seed) for r in group)}', *command[4:]]


def units(plan: list[Run], group_seeds: bool) -> list[list[Run]]:
    """The plan's units of work: one run each, or (`group_seeds`) the runs of one (method, setting) together, in the
    order their first seed appears."""
    if not group_seeds:
        return [[run] for run in plan]
    groups = {}
    for run in plan:
        groups.setdefault(run.group_key, []).append(run)
    return list(groups.values())


def should_group_seeds(plan: list[Run], backend: str) -> bool:
    """Whether seeds in one program beat one process per seed for this plan on `backend` (measured,
    benchmarks/README.md): on a GPU or TPU always; on a CPU only for the small 2-D MLPs (128 units: 2.8x), whose
    steps leave the cores idle, not for PacGAN's nets (400 and 5 x 200 units: 0.81x) or the conv nets, which XLA
    runs as K copies no faster than one after another."""
    if backend != 'cpu':
        return True
    models = [cli.load_config_file(config).model for config in {run.config for run in plan}]
    return all(model.kind == 'mlp' and _widest_layer(model) <= SMALL_MLP_UNITS for model in models)


def _widest_layer(model) -> int:
    """Units of an MLP config's widest layer, a maxout layer counting each of its pieces."""
    pieces = model.get('maxout_pieces', 1) if model.get('discriminator_activation') == 'maxout' else 1
    return max(max(model.hidden), max(model.get('discriminator_hidden', model.hidden)) * pieces)


def default_backend() -> str:
    """JAX's default backend, asked of a subprocess: initialising JAX here would hold a GPU the runs need."""
    env = {**os.environ, 'XLA_PYTHON_CLIENT_PREALLOCATE': 'false'}  # asking must not take a GPU's memory
    command = [sys.executable, '-c', 'import jax; print(jax.default_backend())']
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0 or not result.stdout.strip():
        raise ValueError(
            f'Could not ask JAX for its backend ({result.stderr.strip().splitlines()[-1:] or "no output"}): pass '
            '--group_seeds=yes or --group_seeds=no.'
        )
    return result.stdout.strip().splitlines()[-1]


def eval_json(root: str, name: str, step: int, sampler: str) -> str:
    """Where `aegan.eval` writes a run's result: `<root>/<run>/eval_<step>[_<sampler>].json`."""
    suffix = '' if sampler == 'prior' else f'_{sampler}'
    return os.path.join(root, name, f'eval_{step}{suffix}.json')


def plan(
    suite_name: str,
    seeds=None,
    methods=None,
    num_train_steps=None,
    ppgn: bool = True,
    experiments_dir: str = 'experiments',
    extra_overrides=(),
    settings=None,
) -> list[Run]:
    """The runs of a suite, seed by seed (so a partial study has every method at seed 0 first), α-GAN first.
    `extra_overrides` ((key, value), ...) go to every run after the setting's own; `settings` keeps only those
    settings (the setting-free runs, 'any', stay)."""
    suite = suites.get_suite(suite_name)
    unknown = sorted(set(settings or ()) - set(suite.settings))
    if unknown:
        raise ValueError(f'Unknown settings {unknown} for suite {suite_name!r}; valid choices: {list(suite.settings)}.')
    methods = tuple(methods or suites.FAMILY)
    unknown = sorted(set(methods) - set(suites.FAMILY))
    if unknown:
        raise ValueError(f'Unknown methods {unknown} for a study; valid choices: {list(suites.FAMILY)}.')
    runs = []
    for seed in seeds if seeds is not None else suite.seeds:
        for method in methods:
            path = os.path.join(experiments_dir, f'{method}_{suite.dataset}.py')
            if not os.path.exists(path):
                raise FileNotFoundError(
                    f'{path} not found: run aegan.study from the repository root, or pass --experiments_dir.'
                )
            config = f'{path}:{suite.protocol}' if suite.protocol else path
            samplers = ('prior', 'ppgn') if ppgn and suites.has_encoder(method) else ('prior',)
            steps = num_train_steps or suite.num_train_steps
            if not suites.has_data_discriminator(method) or all(f is None for f in suite.settings.values()):
                setting_overrides = {'any' if len(suite.settings) > 1 else next(iter(suite.settings)): ()}
            else:
                width = cli.load_config_file(config).model.width
                setting_overrides = {
                    name: () if fraction is None else (('model.discriminator_width', max(1, round(width * fraction))),)
                    for name, fraction in suite.settings.items()
                }
            for setting, overrides in setting_overrides.items():
                if settings and setting not in settings and setting != 'any':
                    continue
                runs.append(Run(method, setting, seed, config, steps, overrides + tuple(extra_overrides), samplers))
    return runs


def read_manifest(root: str, suite_name: str) -> dict | None:
    """`<root>/study.json`, or None where there is none; ValueError where it holds another suite."""
    path = os.path.join(root, MANIFEST)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        previous = json.load(f)
    if previous['suite'] != suite_name:
        raise ValueError(
            f'{root} holds a study of suite {previous["suite"]!r}, not {suite_name!r}: use another --root.'
        )
    return previous


def write_manifest(root: str, suite_name: str, runs: list[Run]) -> None:
    """`<root>/study.json`: the suite and its runs, which the report reads (runs of earlier calls are kept, and so
    are their samplers: a later call with --noppgn does not drop the PPGN evals from the report)."""
    path = os.path.join(root, MANIFEST)
    previous = read_manifest(root, suite_name)
    known = {run['name']: run for run in previous['runs']} if previous else {}
    for run in runs:
        samplers = list(dict.fromkeys([*known.get(run.name, {}).get('samplers', []), *run.samplers]))
        known[run.name] = {**dataclasses.asdict(run), 'name': run.name, 'samplers': samplers}
    os.makedirs(root, exist_ok=True)
    tmp = f'{path}.{os.getpid()}.tmp'  # concurrent writers (SLURM array tasks) never share a half-written file
    with open(tmp, 'w') as f:
        json.dump({'suite': suite_name, 'runs': list(known.values())}, f, indent=2)
    os.replace(tmp, path)


def missing_metrics(run: Run, root: str, sampler: str, metrics=()) -> list[str] | None:
    """None when the run has no eval JSON for `sampler` yet; else those of `metrics` it neither holds nor skipped."""
    path = run.eval_json(root, sampler)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        result = json.load(f)
    return [m for m in metrics if m not in result['settings'] and m not in result['skipped']]


def is_done(run: Run, root: str, metrics=()) -> bool:
    return all(missing_metrics(run, root, sampler, metrics) == [] for sampler in run.samplers)


def _trained(run: Run, root: str) -> bool:
    return os.path.isdir(os.path.join(root, run.name, 'checkpoints', str(run.num_train_steps)))


def _latest_step(run: Run, root: str) -> int:
    directory = os.path.join(root, run.name, 'checkpoints')
    steps = [int(d) for d in os.listdir(directory) if d.isdigit()] if os.path.isdir(directory) else []
    return max(steps, default=0)


def _why(log_path: str) -> str:
    """The one line a binary ends with when it stops on a fault it can name ('aegan.train: No space left ...')."""
    with open(log_path) as log:
        lines = [line.strip() for line in log if line.strip()]
    return f': {lines[-1]}' if lines and lines[-1].startswith('aegan.') else ''


def _run_command(command, log_path: str, env, stop: stopping.Stop) -> int | None:
    """The command's exit status, its output appended to `log_path`; None, running nothing, once `stop` is asked."""
    if stop.signal:
        return None
    with open(log_path, 'a') as log:
        log.write(f'\n$ {shlex.join(command)}\n')
        log.flush()
        return stop.run(command, log, env)


def execute(run: Run, root: str, env=None, metrics=()) -> tuple[str, str]:
    """Trains (or resumes) and evaluates one run, adding `metrics` to an existing eval that lacks them; returns
    (run name, 'done' | 'skipped' | 'failed: ...' | 'stopped ...')."""
    return execute_unit([run], root, env, metrics)[0]


def execute_unit(unit: list[Run], root: str, env=None, metrics=(), stop=None) -> list[tuple[str, str]]:
    """Trains the unit's unfinished runs (one program for the seeds at the same step; a group's wall time is shared
    out equally), then evaluates each run; returns (run name, outcome) for each. Once `stop` is asked, what is
    running saves and ends, nothing new starts, and the runs it cut short are 'stopped ...' (NOT_STARTED if they had
    not begun)."""
    stop = stop or stopping.Stop()
    if stop.signal:
        return [(run.name, 'skipped' if is_done(run, root, metrics) else NOT_STARTED) for run in unit]
    os.makedirs(os.path.join(root, 'logs'), exist_ok=True)
    log_path = lambda run: os.path.join(root, 'logs', f'{run.name}.log')  # noqa: E731
    outcomes = {run.name: 'skipped' for run in unit if is_done(run, root, metrics)}
    by_step = {}
    for run in unit:  # a no-op train would add to the wall time; seeds that stand at different steps train apart
        if run.name not in outcomes and not _trained(run, root):
            by_step.setdefault(_latest_step(run, root), []).append(run)
    for group in by_step.values():
        command = group[0].train_command(root) if len(group) == 1 else group_train_command(group, root)
        start = time.time()
        code = _run_command(command, log_path(group[0]), env, stop)
        if code is None:
            outcomes.update((run.name, NOT_STARTED) for run in group)
            continue
        for run in group:
            if run is not group[0]:
                with open(log_path(run), 'a') as log:
                    log.write(f'\ntrained with seeds {[r.seed for r in group]} in one program: {log_path(group[0])}\n')
            _add_seconds(root, run, 'train', (time.time() - start) / len(group))
            latest, trained = _latest_step(run, root), _trained(run, root)
            if trained and (code == 0 or stop.signal):  # a signal after the last save loses nothing
                continue
            if code == 0 and latest < run.num_train_steps:  # SIGTERM: the train saved its step and exited cleanly
                by = f' by {stop.name}' if stop.signal else ''
                outcomes[run.name] = f'stopped{by} at step {latest} of {run.num_train_steps} (saved)'
            elif stop.signal:  # signalled before its handler was installed: it resumes from its last checkpoint
                budget = run.num_train_steps
                outcomes[run.name] = f'stopped by {stop.name} at step {latest} of {budget} (its last checkpoint)'
            elif code == 0:  # e.g. a later checkpoint than the budget's (kept checkpoints of a longer stage)
                outcomes[run.name] = f'failed: train ended without a checkpoint at step {run.num_train_steps}'
            else:
                why = _why(log_path(group[0]))
                outcomes[run.name] = f'failed: train exited with {code}{why} (see {log_path(group[0])})'
    for run in unit:
        if run.name in outcomes:
            continue
        outcomes[run.name] = 'done'
        for sampler in run.samplers:
            missing = missing_metrics(run, root, sampler, metrics)
            commands = []
            if missing is None:  # no eval yet: the default metrics, then the requested ones that are not among them
                commands.append(run.eval_command(root, sampler))
                missing = list(metrics)
            if missing:
                commands.append(run.eval_command(root, sampler, missing))
            for command in commands:
                start = time.time()
                code = _run_command(command, log_path(run), env, stop)
                if code is None or (code != 0 and stop.signal):  # not started, or cut short: it reruns whole
                    outcomes[run.name] = f'stopped by {stop.name} before its eval_{sampler} ended (trained)'
                    break
                _add_seconds(root, run, f'eval_{sampler}', time.time() - start)
                if code != 0:
                    why = _why(log_path(run))
                    outcomes[run.name] = f'failed: eval_{sampler} exited with {code}{why} (see {log_path(run)})'
                    break
            if outcomes[run.name] != 'done':
                break
    return [(run.name, outcomes[run.name]) for run in unit]


def _add_seconds(root: str, run: Run, label: str, seconds: float) -> None:
    path = os.path.join(root, 'logs', f'{run.name}.json')
    timing = {}
    if os.path.exists(path):
        with open(path) as f:
            timing = json.load(f)
    timing[f'{label}_seconds'] = timing.get(f'{label}_seconds', 0.0) + seconds
    with open(f'{path}.{os.getpid()}.tmp', 'w') as f:
        json.dump(timing, f)
    os.replace(f'{path}.{os.getpid()}.tmp', path)


def run_local(
    runs: list[Run], root: str, parallel: int = 1, echo=print, metrics=(), group_seeds: bool = False
) -> list[tuple[str, str]]:
    """Carries out the runs (`units`), `parallel` units at a time; returns each run's outcome (a failed run does not
    stop the others; SIGTERM or SIGINT stops them all, each saving its step: `stopping`)."""
    outcomes = []
    with stopping.on_signals() as stop, concurrent.futures.ThreadPoolExecutor(max(1, parallel)) as pool:
        work = pool.map(lambda unit: execute_unit(unit, root, metrics=metrics, stop=stop), units(runs, group_seeds))
        for unit_outcomes in work:
            for name, outcome in unit_outcomes:
                if outcome != NOT_STARTED:
                    echo(f'{name}: {outcome}')
                outcomes.append((name, outcome))
    return outcomes


SLURM_SCRIPT = """#!/bin/bash
# The {suite} study as a SLURM job array: one array task per unit ({count} units: a run, or the seeds of one run
# trained as one program; indices in {runs_file}).
#   sbatch {script}
# then, when the array has finished:
#   python -m aegan.study --report --root={root}
# Each task trains (or resumes) and evaluates its unit; a task that is requeued or resubmitted resumes from its last
# checkpoint, and a finished run is skipped. Edit the #SBATCH lines for your cluster.
#SBATCH --job-name=aegan-{suite}
#SBATCH --array=0-{last}
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=8
#SBATCH --time=04:00:00
#SBATCH --output={root}/logs/slurm-%A_%a.out
#SBATCH --requeue
set -euo pipefail
cd {cwd}
exec {python} -m aegan.study {study_flags} --run_index="${{SLURM_ARRAY_TASK_ID}}"
"""


def write_slurm(runs: list[Run], root: str, suite: str, study_flags: list[str], group_seeds: bool = False) -> str:
    """Writes `<root>/study.sbatch` and `<root>/runs.txt` (index, run names and train command of each unit); returns
    the script."""
    os.makedirs(os.path.join(root, 'logs'), exist_ok=True)
    plan_units = units(runs, group_seeds)
    with open(os.path.join(root, 'runs.txt'), 'w') as f:
        for index, unit in enumerate(plan_units):
            command = unit[0].train_command(root) if len(unit) == 1 else group_train_command(unit, root)
            f.write(f'{index}\t{",".join(run.name for run in unit)}\t{shlex.join(command)}\n')
    script = os.path.join(root, 'study.sbatch')
    with open(script, 'w') as f:
        f.write(
            SLURM_SCRIPT.format(
                suite=suite,
                count=len(plan_units),
                last=len(plan_units) - 1,
                runs_file=shlex.quote(os.path.join(root, 'runs.txt')),
                script=shlex.quote(script),
                root=shlex.quote(root),
                cwd=shlex.quote(os.getcwd()),
                python=shlex.quote(sys.executable),
                study_flags=shlex.join(study_flags),
            )
        )
    os.chmod(script, 0o755)
    return script
