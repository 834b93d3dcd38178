"""Plans a suite into runs and carries them out: each run is `aegan.train` then `aegan.eval` as subprocesses, so a
run resumes through the train binary's own resume and a failed run costs only itself.

A run is done when its eval JSON(s) for the final step exist; the study skips those, resumes half-trained ones and
records each run's wall time in `<root>/logs/<run>.json` (train and eval seconds summed over attempts).
"""

import concurrent.futures
import dataclasses
import json
import os
import runpy
import shlex
import subprocess
import sys
import time

from aegan.study import suites

MANIFEST = 'study.json'


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
        """The eval of the final checkpoint: its default metrics, or only `metrics` (merged into the eval JSON)."""
        command = [
            sys.executable,
            '-m',
            'aegan.eval',
            f'--checkpoint={os.path.join(root, self.name)}',
            f'--sampler={sampler}',
        ]
        return command + ([f'--metrics={",".join(metrics)}'] if metrics else [])


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
            config = os.path.join(experiments_dir, f'{method}_{suite.dataset}.py')
            if not os.path.exists(config):
                raise FileNotFoundError(
                    f'{config} not found: run aegan.study from the repository root, or pass --experiments_dir.'
                )
            samplers = ('prior', 'ppgn') if ppgn and suites.has_encoder(method) else ('prior',)
            steps = num_train_steps or suite.num_train_steps
            if not suites.has_data_discriminator(method) or all(f is None for f in suite.settings.values()):
                setting_overrides = {'any' if len(suite.settings) > 1 else next(iter(suite.settings)): ()}
            else:
                width = runpy.run_path(config)['get_config']().model.width
                setting_overrides = {
                    name: () if fraction is None else (('model.discriminator_width', max(1, round(width * fraction))),)
                    for name, fraction in suite.settings.items()
                }
            for setting, overrides in setting_overrides.items():
                if settings and setting not in settings and setting != 'any':
                    continue
                runs.append(Run(method, setting, seed, config, steps, overrides + tuple(extra_overrides), samplers))
    return runs


def write_manifest(root: str, suite_name: str, runs: list[Run]) -> None:
    """`<root>/study.json`: the suite and its runs, which the report reads (runs of earlier calls are kept, and so
    are their samplers: a later call with --noppgn does not drop the PPGN evals from the report)."""
    path = os.path.join(root, MANIFEST)
    known = {}
    if os.path.exists(path):
        with open(path) as f:
            previous = json.load(f)
        if previous['suite'] != suite_name:
            raise ValueError(
                f'{root} holds a study of suite {previous["suite"]!r}, not {suite_name!r}: use another --root.'
            )
        known = {run['name']: run for run in previous['runs']}
    for run in runs:
        samplers = list(dict.fromkeys([*known.get(run.name, {}).get('samplers', []), *run.samplers]))
        known[run.name] = {**dataclasses.asdict(run), 'name': run.name, 'samplers': samplers}
    os.makedirs(root, exist_ok=True)
    tmp = path + '.tmp'
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


def execute(run: Run, root: str, env=None, metrics=()) -> tuple[str, str]:
    """Trains (or resumes) and evaluates one run, adding `metrics` to an existing eval that lacks them; returns
    (run name, 'done' | 'skipped' | 'failed: ...')."""
    if is_done(run, root, metrics):
        return run.name, 'skipped'
    os.makedirs(os.path.join(root, 'logs'), exist_ok=True)
    log_path = os.path.join(root, 'logs', f'{run.name}.log')
    trained = os.path.isdir(os.path.join(root, run.name, 'checkpoints', str(run.num_train_steps)))
    commands = [] if trained else [('train', run.train_command(root))]  # a no-op train would add to its wall time
    for sampler in run.samplers:
        missing = missing_metrics(run, root, sampler, metrics)
        if missing is None:  # no eval yet: the default metrics, then the requested ones that are not among them
            commands.append((f'eval_{sampler}', run.eval_command(root, sampler)))
            missing = list(metrics)
        if missing:
            commands.append((f'eval_{sampler}', run.eval_command(root, sampler, missing)))
    for label, command in commands:
        start = time.time()
        with open(log_path, 'a') as log:
            log.write(f'\n$ {shlex.join(command)}\n')
            log.flush()
            code = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env).returncode
        _add_seconds(root, run, label, time.time() - start)
        if code != 0:
            return run.name, f'failed: {label} exited with {code} (see {log_path})'
    return run.name, 'done'


def _add_seconds(root: str, run: Run, label: str, seconds: float) -> None:
    path = os.path.join(root, 'logs', f'{run.name}.json')
    timing = {}
    if os.path.exists(path):
        with open(path) as f:
            timing = json.load(f)
    timing[f'{label}_seconds'] = timing.get(f'{label}_seconds', 0.0) + seconds
    with open(path + '.tmp', 'w') as f:
        json.dump(timing, f)
    os.replace(path + '.tmp', path)


def run_local(runs: list[Run], root: str, parallel: int = 1, echo=print, metrics=()) -> list[tuple[str, str]]:
    """Carries out the runs, `parallel` at a time; returns each outcome (a failed run does not stop the others)."""
    outcomes = []
    with concurrent.futures.ThreadPoolExecutor(max(1, parallel)) as pool:
        for name, outcome in pool.map(lambda run: execute(run, root, metrics=metrics), runs):
            echo(f'{name}: {outcome}')
            outcomes.append((name, outcome))
    return outcomes


SLURM_SCRIPT = """#!/bin/bash
# The {suite} study as a SLURM job array: one array task per run ({count} runs; indices in {runs_file}).
#   sbatch {script}
# then, when the array has finished:
#   python -m aegan.study --report --root={root}
# Each task trains (or resumes) and evaluates one run; a task that is requeued or resubmitted resumes from its last
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


def write_slurm(runs: list[Run], root: str, suite: str, study_flags: list[str]) -> str:
    """Writes `<root>/study.sbatch` and `<root>/runs.txt` (index, name and commands of each run); returns the script."""
    os.makedirs(os.path.join(root, 'logs'), exist_ok=True)
    with open(os.path.join(root, 'runs.txt'), 'w') as f:
        for index, run in enumerate(runs):
            f.write(f'{index}\t{run.name}\t{shlex.join(run.train_command(root))}\n')
    script = os.path.join(root, 'study.sbatch')
    with open(script, 'w') as f:
        f.write(
            SLURM_SCRIPT.format(
                suite=suite,
                count=len(runs),
                last=len(runs) - 1,
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
