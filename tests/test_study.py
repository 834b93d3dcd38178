"""aegan.study: plans, runs end to end, skips what is done, resumes after a kill, reports exactly the eval JSONs'
numbers, and writes a SLURM array that indexes every run."""

import contextlib
import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from aegan.study import report, runs, suites

TINY = ['--suite=ring8', '--methods=alphagan,dcgan', '--seeds=0,1', '--steps=20', '--noppgn', '--group_seeds=no']


def study(repo, root, *flags, timeout=600):
    command = [sys.executable, '-m', 'aegan.study', f'--root={root}', *flags]
    env = {**os.environ, 'JAX_NUM_CPU_DEVICES': '1'}
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=timeout)


def test_plan_of_stacked_mnist_sizes_only_the_data_discriminator(repo, monkeypatch):
    monkeypatch.chdir(repo)
    plan = runs.plan('stacked_mnist', seeds=[0])
    by_name = {run.name: run for run in plan}
    widths = {r.name: dict(r.overrides).get('model.discriminator_width') for r in plan if r.method == 'alphagan'}
    assert widths == {'alphagan-veegan-s0': 32, 'alphagan-half-s0': 16, 'alphagan-hard-s0': 8}
    for method in suites.FAMILY:  # one run per setting with a data discriminator, else one run for all settings
        mine = [r for r in plan if r.method == method]
        assert len(mine) == (3 if method in ('alphagan', 'dcgan', 'wgan_gp') else 1), method
        assert all(r.num_train_steps == suites.SUITES['stacked_mnist'].num_train_steps for r in mine)
    assert by_name['ae-any-s0'].samplers == ('prior', 'ppgn') and by_name['dcgan-hard-s0'].samplers == ('prior',)
    assert [r.seed for r in runs.plan('ring8')] == sorted(r.seed for r in runs.plan('ring8'))  # seed-major order
    hard = [r.name for r in runs.plan('stacked_mnist', seeds=[0], methods=['alphagan', 'ae'], settings=['hard'])]
    assert hard == ['alphagan-hard-s0', 'ae-any-s0']  # a setting filter keeps the runs that no setting changes
    with pytest.raises(ValueError, match='Unknown methods'):
        runs.plan('ring8', methods=['gan'])
    with pytest.raises(ValueError, match=r"Unknown settings \['hardest'\]"):
        runs.plan('stacked_mnist', settings=['hardest'])


def test_tiny_suite_runs_skips_and_reports_the_eval_numbers(repo, tmp_path):
    root = tmp_path / 'study'
    first = study(repo, root, *TINY)
    assert first.returncode == 0, first.stderr[-3000:]
    names = ['alphagan-pacgan-s0', 'dcgan-pacgan-s0', 'alphagan-pacgan-s1', 'dcgan-pacgan-s1']
    assert [line.split(':')[0] for line in first.stdout.splitlines()[:4]] == names
    assert all(': done' in line for line in first.stdout.splitlines()[:4])
    stamps = {n: os.path.getmtime(root / n / 'eval_20.json') for n in names}

    again = study(repo, root, *TINY)  # everything has its eval JSON: nothing is trained or evaluated again
    assert again.returncode == 0 and all(': skipped' in line for line in again.stdout.splitlines()[:4])
    assert stamps == {n: os.path.getmtime(root / n / 'eval_20.json') for n in names}
    before = {n: json.loads((root / n / 'eval_20.json').read_text())['metrics'] for n in names}

    added = study(repo, root, *TINY, '--metrics=critic')  # a metric added later: evaluated alone, merged in
    assert added.returncode == 0 and all(': done' in line for line in added.stdout.splitlines()[:4]), added.stderr
    for n in names:
        after = json.loads((root / n / 'eval_20.json').read_text())['metrics']
        assert 'critic_wasserstein' in after and {k: after[k] for k in before[n]} == before[n]
    assert all(': skipped' in line for line in study(repo, root, *TINY, '--metrics=critic').stdout.splitlines()[:4])
    assert 'unknown --metrics' in study(repo, root, *TINY, '--metrics=psnr').stderr

    report = study(repo, root, '--report')
    assert report.returncode == 0, report.stderr[-3000:]
    evals = {n: json.loads((root / n / 'eval_20.json').read_text())['metrics'] for n in names}
    with open(root / 'results.csv') as f:
        rows = {row['run']: row for row in csv.DictReader(f)}
    assert set(rows) == set(names)
    for name, metrics in evals.items():
        for key in ('modes', 'high_quality_fraction', 'reverse_kl'):
            assert float(rows[name][key]) == metrics[key]
    summary = {s['label']: s for s in json.loads((root / 'results.json').read_text())['summaries']['pacgan']}
    for method in ('alphagan', 'dcgan'):
        values = [evals[f'{method}-pacgan-s{seed}']['modes'] for seed in (0, 1)]
        assert summary[method]['modes']['values'] == values
        assert summary[method]['modes']['mean'] == pytest.approx(sum(values) / 2)
    markdown = (root / 'results.md').read_text()
    alphagan_line = next(line for line in markdown.splitlines() if line.startswith('| alphagan |'))
    assert f'{summary["alphagan"]["modes"]["mean"]:.1f} ±' in alphagan_line and '*quoted:* PacGAN4' in markdown
    assert '| alphagan | 20 steps of batch 128 | 2 |' in alphagan_line  # the headline: budget and seeds first
    assert (
        '| *quoted:* GAN, PacGAN (Lin et al. 2018) Table 1 | 400,000 steps of batch 100, 10 trials | — | 6.3 ± 0.5'
        in (markdown)
    )
    assert "Generators evaluated: the moving average of the generator's weights" in markdown  # the eval JSONs' weights
    assert {row['weights'] for row in rows.values()} == {'ema'}
    for png in ('metrics.png', 'samples_pacgan.png'):
        assert (root / png).stat().st_size > 5000
    elsewhere = tmp_path / 'results' / 'ring8'  # --out: the report goes where it is committed, the runs stay
    assert study(repo, root, '--report', f'--out={elsewhere}').returncode == 0
    assert (elsewhere / 'results.md').read_text() == markdown and (elsewhere / 'samples_pacgan.png').exists()


def processes_with(text: str) -> list[int]:
    """Pids of this machine's processes whose command line holds `text`."""
    pids = []
    for entry in os.listdir('/proc'):
        try:
            with open(f'/proc/{entry}/cmdline', 'rb') as f:
                if text in f.read().decode(errors='replace'):
                    pids.append(int(entry))
        except (OSError, ValueError):
            continue
    return pids


def wait_for_checkpoint(workdir, process, timeout=300):
    deadline = time.time() + timeout
    while not (
        (workdir / 'checkpoints').exists() and any(p.name.isdigit() for p in (workdir / 'checkpoints').iterdir())
    ):
        assert time.time() < deadline and process.poll() is None, f'no checkpoint in {workdir}'
        time.sleep(0.5)


def test_a_killed_study_resumes_its_runs(repo, tmp_path):
    root = tmp_path / 'study'
    flags = [
        '--suite=ring8',
        '--methods=alphagan',
        '--seeds=0',
        '--steps=400',
        '--noppgn',
        '--set=checkpoint_every_steps=20',
    ]
    command = [sys.executable, '-m', 'aegan.study', f'--root={root}', *flags]
    env = {**os.environ, 'JAX_NUM_CPU_DEVICES': '1'}
    process = subprocess.Popen(command, cwd=repo, env=env, start_new_session=True, stdout=subprocess.DEVNULL)
    wait_for_checkpoint(root / 'alphagan-pacgan-s0', process)
    os.killpg(process.pid, signal.SIGKILL)  # the study and its train subprocess, mid-run
    process.wait()
    assert not (root / 'alphagan-pacgan-s0' / 'eval_400.json').exists()

    resumed = study(repo, root, *flags)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    log = (root / 'logs' / 'alphagan-pacgan-s0.log').read_text()
    assert 'Resumed from' in log and (root / 'alphagan-pacgan-s0' / 'eval_400.json').exists()


def test_sigterm_saves_the_running_train_and_starts_nothing_new(repo, tmp_path):
    """SIGTERM to a train alone: it saves and exits, and the study goes on to the next run, which a SIGTERM to the
    study then stops the same way; the third run never starts, and each stopped run names its saved step."""
    root = tmp_path / 'study'
    flags = ['--suite=ring8', '--methods=alphagan', '--seeds=0,1,2', '--steps=100000', '--noppgn', '--group_seeds=no']
    command = [sys.executable, '-m', 'aegan.study', f'--root={root}', *flags, '--set=checkpoint_every_steps=20']
    env = {**os.environ, 'JAX_NUM_CPU_DEVICES': '1'}
    process = subprocess.Popen(command, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_checkpoint(root / 'alphagan-pacgan-s0', process)
        (train,) = processes_with(str(root / 'alphagan-pacgan-s0'))
        os.kill(train, signal.SIGTERM)
        wait_for_checkpoint(root / 'alphagan-pacgan-s1', process)
        process.send_signal(signal.SIGTERM)  # the study alone: it passes the signal on
        stdout, stderr = process.communicate(timeout=120)
    finally:
        leftover = processes_with(str(root))
        for pid in leftover:  # a failing test leaves no training behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert not leftover, 'a binary of the study outlived it'
    assert process.returncode == 1, stderr[-3000:]
    saved = {
        s: max(int(p.name) for p in (root / f'alphagan-pacgan-s{s}' / 'checkpoints').iterdir() if p.name.isdigit())
        for s in (0, 1)
    }
    assert f'alphagan-pacgan-s0: stopped at step {saved[0]} of 100000 (saved)' in stdout
    assert f'alphagan-pacgan-s1: stopped by SIGTERM at step {saved[1]} of 100000 (saved)' in stdout
    assert 'alphagan-pacgan-s2' not in stdout and '1 run not started' in stderr.splitlines()[-1]
    assert not (root / 'alphagan-pacgan-s2').exists() and not list(root.glob('*/eval_*.json'))
    for seed in (0, 1):
        assert 'Received SIGTERM: saving a checkpoint' in (root / 'logs' / f'alphagan-pacgan-s{seed}.log').read_text()


def test_a_second_signal_kills_a_child_that_ignores_the_first_and_nothing_starts_after(tmp_path):
    from aegan.study import stopping

    stop = stopping.Stop()
    ignores_term = (
        'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print(1, flush=True); time.sleep(60)'
    )
    ready = tmp_path / 'ready'
    codes = []
    with open(ready, 'w') as out:
        worker = threading.Thread(
            target=lambda: codes.append(stop.run([sys.executable, '-c', ignores_term], out, None))
        )
        worker.start()
        while not ready.read_text():
            time.sleep(0.05)
        stop.request(signal.SIGTERM)
        worker.join(timeout=1)
        assert worker.is_alive(), 'the child should have ignored SIGTERM'
        stop.request(signal.SIGTERM)
        worker.join(timeout=30)
    assert codes == [-signal.SIGKILL] and stop.name == 'SIGTERM'
    assert stop.run([sys.executable, '-c', 'print(1)'], None, None) is None  # nothing starts after a stop


def test_slurm_launcher_writes_an_array_over_every_run(repo, tmp_path):
    root = tmp_path / 'study'
    result = study(repo, root, '--suite=stacked_mnist', '--launcher=slurm', '--seeds=0,1', '--group_seeds=no')
    assert result.returncode == 0, result.stderr[-3000:]
    script = root / 'study.sbatch'
    check = subprocess.run(['shellcheck', str(script)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    text = script.read_text()
    planned = study(repo, root, '--suite=stacked_mnist', '--seeds=0,1', '--dry_run').stdout.splitlines()[:-1]
    assert f'#SBATCH --array=0-{len(planned) - 1}' in text and '--run_index="${SLURM_ARRAY_TASK_ID}"' in text
    lines = (root / 'runs.txt').read_text().splitlines()
    assert [line.split('\t')[1] for line in lines] == [line.split()[1] for line in planned]
    # Each array index selects its own run: the task's command with --dry_run names exactly that run.
    flags = text.rsplit('-m aegan.study ', 1)[1].split(' --run_index')[0].split()
    for index in (0, len(planned) - 1):
        one = study(repo, root, *flags, f'--run_index={index}', '--dry_run')
        assert one.stdout.split()[1] == planned[index].split()[1]
    assert study(repo, root, *flags, f'--run_index={len(planned)}').returncode != 0


def test_slurm_array_indexes_groups_of_seeds(repo, tmp_path):
    """Under SLURM (GPU nodes) 'auto' trains each (method, setting)'s seeds as one program: one task per group."""
    root = tmp_path / 'study'
    result = study(repo, root, '--suite=stacked_mnist', '--launcher=slurm', '--seeds=0,1')
    assert result.returncode == 0, result.stderr[-3000:]
    lines = (root / 'runs.txt').read_text().splitlines()
    groups = {
        (r.method, r.setting) for r in runs.plan('stacked_mnist', seeds=[0, 1], experiments_dir=repo / 'experiments')
    }
    assert len(lines) == len(groups) and f'#SBATCH --array=0-{len(groups) - 1}' in (root / 'study.sbatch').read_text()
    names, command = lines[0].split('\t')[1:]
    assert names == 'alphagan-veegan-s0,alphagan-veegan-s1'
    assert f'--workdir={root}/alphagan-veegan-s{{seed}}' in command and '--seeds=0,1' in command
    text = (root / 'study.sbatch').read_text()
    flags = text.rsplit('-m aegan.study ', 1)[1].split(' --run_index')[0].split()
    assert '--group_seeds=yes' in flags
    one = study(repo, root, *flags, '--run_index=0', '--dry_run')
    assert [line.split()[1] for line in one.stdout.splitlines()[:-1]] == names.split(',')


def test_a_grouped_study_trains_each_seed_as_its_own_run(repo, tmp_path):
    """--group_seeds=yes: one train command per (method, setting), each seed in its own workdir with its own eval,
    the same run as the ungrouped study's up to float rounding."""
    flags = [*TINY[:-1], '--methods=alphagan']
    grouped = study(repo, tmp_path / 'grouped', *flags, '--group_seeds=yes')
    assert grouped.returncode == 0, grouped.stderr[-3000:]
    assert (
        'trained with seeds [0, 1] in one program'
        in (tmp_path / 'grouped' / 'logs' / 'alphagan-pacgan-s1.log').read_text()
    )
    assert '--seeds=0,1' in (tmp_path / 'grouped' / 'logs' / 'alphagan-pacgan-s0.log').read_text()
    apart = study(repo, tmp_path / 'apart', *flags, '--group_seeds=no')
    assert apart.returncode == 0, apart.stderr[-3000:]
    from test_checkpointing import load_state

    for seed in (0, 1):
        run = f'alphagan-pacgan-s{seed}'
        assert (tmp_path / 'grouped' / run / 'eval_20.json').exists()
        a, b = load_state(tmp_path / 'grouped' / run, 20), load_state(tmp_path / 'apart' / run, 20)
        for x, y in zip(jax_leaves(a), jax_leaves(b), strict=True):
            np.testing.assert_allclose(x, y, rtol=1e-4, atol=1e-5)


def jax_leaves(tree):
    import jax

    return jax.tree.leaves(tree)


def test_report_and_study_refuse_bad_roots(repo, tmp_path):
    missing = study(repo, tmp_path / 'nothing', '--report')
    assert missing.returncode != 0 and 'is not a study root' in missing.stderr
    root = tmp_path / 'study'
    assert study(repo, root, '--suite=ring8', '--launcher=slurm').returncode == 0
    other = study(repo, root, '--suite=grid25', '--launcher=slurm')
    assert other.returncode != 0 and "holds a study of suite 'ring8'" in other.stderr


def test_a_later_call_without_ppgn_keeps_the_ppgn_evals_in_the_manifest(repo, tmp_path, monkeypatch):
    monkeypatch.chdir(repo)
    runs.write_manifest(str(tmp_path), 'ring8', runs.plan('ring8', seeds=[0], methods=['ae']))
    runs.write_manifest(str(tmp_path), 'ring8', runs.plan('ring8', seeds=[0], methods=['ae'], ppgn=False))
    manifest = json.loads((tmp_path / runs.MANIFEST).read_text())
    assert [run['samplers'] for run in manifest['runs']] == [['prior', 'ppgn']]


def test_report_montage_scales_raw_grids_up_without_blur(tmp_path):
    """A raw-size eval grid (8 x 8 digits of 28 px: 233 px) gets an integer nearest-neighbour factor in the report's
    montage, so each panel is >= 600 px wide and every source pixel is a uniform block."""
    from PIL import Image

    from aegan import writers
    from aegan.study import report

    colours = np.array([[-1, -1, -1], [1, 1, 1], [1, -1, -1], [-1, 1, -1]], np.float32)
    images = colours[np.random.default_rng(0).integers(0, 4, (64, 28, 28))]
    pngs = []
    for name in ('a', 'b'):
        pngs.append((name, str(tmp_path / f'{name}.png')))
        Image.fromarray(writers.image_grid(images)).save(pngs[-1][1])
    report.montage(str(tmp_path / 'montage.png'), pngs)
    sheet = np.asarray(Image.open(tmp_path / 'montage.png').convert('RGB'))
    raw = writers.image_grid(images)
    scale = -(-report.MONTAGE_PANEL_PIXELS // raw.shape[1])
    assert scale == 3 and sheet.shape[1] >= 3 * raw.shape[1] * 2
    top, left = 12 + 28, 12  # gap + label row: the first panel
    panel = sheet[top : top + raw.shape[0] * scale, left : left + raw.shape[1] * scale]
    np.testing.assert_array_equal(panel, raw.repeat(scale, 0).repeat(scale, 1))


def test_headline_gives_the_standard_error_where_the_quoted_rows_do():
    rows = [
        {'label': 'dcgan', 'seed': seed, 'steps': 400_000, 'batch_size': 100, 'train_seconds': None, **metrics}
        for seed, metrics in enumerate([dict(modes=6.0, high_quality_fraction=0.9, reverse_kl=0.5), dict(modes=7.0)])
    ]
    (summary,) = report.summarise(rows, report.COLUMNS_2D)
    assert summary['modes']['se'] == pytest.approx(0.5) and summary['modes']['std'] == pytest.approx(0.5)
    rows.append({**rows[1], 'seed': 2, 'modes': 8.0})
    (summary,) = report.summarise(rows, report.COLUMNS_2D)
    assert summary['modes']['se'] == pytest.approx(1 / 3**0.5) and summary['modes']['std'] == pytest.approx(
        (2 / 3) ** 0.5
    )
    line = report.headline_table([summary], report.COLUMNS_2D, spread='se')[2]
    assert line.startswith('| dcgan | 400,000 steps of batch 100 | 3 | 7.0 ± 0.6 |'), line


def staged_root(path, seeds_and_steps, offset=0):
    """A ring8 study root of DCGAN runs (budget 300) holding eval JSONs at the given steps; modes = step / 100 +
    seed + offset, so each point says where it came from."""
    path.mkdir()
    manifest = {'suite': 'ring8', 'runs': []}
    for seed, steps in seeds_and_steps:
        name = f'dcgan-pacgan-s{seed}'
        manifest['runs'].append(
            dict(name=name, method='dcgan', setting='pacgan', seed=seed, num_train_steps=300, samplers=['prior'])
        )
        (path / name).mkdir()
        for step in steps:
            metrics = dict(modes=step / 100 + seed + offset, high_quality_fraction=0.5, reverse_kl=0.1)
            result = dict(metrics=metrics, step=step, settings={}, plots=[])
            (path / name / f'eval_{step}.json').write_text(json.dumps(result))
        (path / name / 'eval_300_ppgn.json').write_text('not read')
        (path / name / 'eval_300_raw.json').write_text('not read')
    (path / 'logs').mkdir()
    for seed, _ in seeds_and_steps:  # the timing of the latest call, the 300-step stage
        (path / 'logs' / f'dcgan-pacgan-s{seed}.json').write_text(json.dumps(dict(train_seconds=30.0)))
    (path / runs.MANIFEST).write_text(json.dumps(manifest))
    return manifest


def test_a_study_trained_in_stages_reports_its_learning_curves(repo, tmp_path):
    """Every eval_<step>.json a run holds is a point of its curve (PPGN and raw-weight evals are not); results.json
    keeps the points, so a later report (--earlier) still draws the stages of a root since lost; --steps reports an
    earlier stage while the next one trains."""
    root = tmp_path / 'root'
    manifest = staged_root(root, [(0, (100, 300)), (1, (100, 300))])
    curves = report.collect_curves(str(root), manifest['runs'])
    assert sorted((r['seed'], r['steps'], r['modes']) for r in curves) == [
        (0, 100, 1),
        (0, 300, 3),
        (1, 100, 2),
        (1, 300, 4),
    ]
    written = report.write_report(str(root))
    assert str(root / 'curves_pacgan.png') in written and (root / 'curves_pacgan.png').stat().st_size > 5000
    assert '![curves](curves_pacgan.png)' in (root / 'results.md').read_text()
    assert json.loads((root / 'results.json').read_text())['curves'] == curves
    assert {r['train_seconds'] for r in json.loads((root / 'results.json').read_text())['runs']} == {30.0}

    stage = tmp_path / 'stage100'
    finished = study(repo, root, '--report', '--steps=100', f'--out={stage}')
    assert finished.returncode == 0, finished.stderr
    written = json.loads((stage / 'results.json').read_text())
    assert written['summaries']['pacgan'][0]['modes']['values'] == [1.0, 2.0]  # the 100-step evals, not the 300
    assert {r['steps'] for r in written['runs']} == {100}
    assert {r['train_seconds'] for r in written['runs']} == {None}  # the timing log holds time up to 300 steps
    assert {c['steps'] for c in written['curves']} == {100}  # no point of a later stage
    none_yet = study(repo, root, '--report', '--steps=200', f'--out={tmp_path / "none"}')
    assert none_yet.returncode == 1 and 'Traceback' not in none_yet.stderr
    assert 'No eval JSONs of the 200-step stage under' in none_yet.stderr.strip().splitlines()[-1]

    later = tmp_path / 'later'  # seed 0 retrained on another machine to 300 steps only; seed 1 lost with its root
    staged_root(later, [(0, (300,))], offset=10)
    report.write_report(str(later), earlier=str(root / 'results.json'))
    points = json.loads((later / 'results.json').read_text())['curves']
    assert sorted((r['seed'], r['steps'], r['modes']) for r in points) == [
        (0, 100, 1),  # kept: no eval of this point under the later root
        (0, 300, 13),  # rerun here: replaces the earlier report's 3
        (1, 100, 2),
        (1, 300, 4),
    ]
    assert (later / 'curves_pacgan.png').exists()

    # A stage's report with --earlier: the earlier report's 300-step rows of the lost seed 1 are not that stage's.
    stage_later = tmp_path / 'stage_later'
    staged_root(stage_later, [(0, (100, 300))])
    report.write_report(str(stage_later), earlier=str(root / 'results.json'), steps=100)
    kept = json.loads((stage_later / 'results.json').read_text())['runs']
    assert sorted((r['seed'], r['steps']) for r in kept) == [(0, 100)]
    # ... and an earlier report of that stage keeps its row of the lost seed 1 (seed 0 is this root's own).
    report.write_report(
        str(stage_later), out=str(tmp_path / 'stage_kept'), earlier=str(stage / 'results.json'), steps=100
    )
    kept = json.loads((tmp_path / 'stage_kept' / 'results.json').read_text())['runs']
    assert sorted((r['seed'], r['steps'], r.get('from') is not None) for r in kept) == [(0, 100, False), (1, 100, True)]

    # Curve points that are not a report's stop the report with one line before anything is written.
    bad = json.loads((root / 'results.json').read_text())
    bad['curves'] = [{'label': 'dcgan', 'steps': 100}]
    (tmp_path / 'bad.json').write_text(json.dumps(bad))
    with pytest.raises(report.EarlierReportError, match='has curve points without'):
        report.write_report(str(later), out=str(tmp_path / 'bad_out'), earlier=str(tmp_path / 'bad.json'))
    assert not (tmp_path / 'bad_out').exists()


def test_an_array_task_checks_the_manifest_suite_without_rewriting_it(tmp_path):
    """A SLURM array task reads study.json (its launcher call wrote the whole plan) and refuses a root of another
    suite, like the launcher call does."""
    import json

    from aegan.study import runs as study_runs

    assert study_runs.read_manifest(str(tmp_path), 'ring8') is None
    (tmp_path / study_runs.MANIFEST).write_text(json.dumps({'suite': 'ring8', 'runs': []}))
    assert study_runs.read_manifest(str(tmp_path), 'ring8')['suite'] == 'ring8'
    with pytest.raises(ValueError, match="holds a study of suite 'ring8', not 'grid25'"):
        study_runs.read_manifest(str(tmp_path), 'grid25')


def test_a_report_keeps_the_rows_of_an_earlier_report_whose_root_is_lost(repo, tmp_path):
    """`--earlier`: evals only the earlier report holds keep its numbers, those under the root replace theirs; a
    method at two budgets gets a line for each; files that are no report end in one line."""

    def run(name, method, seed, steps):
        return dict(name=name, method=method, setting='pacgan', seed=seed, num_train_steps=steps, samplers=['prior'])

    def root_with(path, runs_and_modes, steps=100, settings=None):
        path.mkdir()
        manifest = {'suite': 'ring8', 'runs': [run(n, m, s, steps) for n, m, s, _ in runs_and_modes]}
        for name, _, _, modes in runs_and_modes:
            (path / name).mkdir()
            result = dict(metrics=dict(modes=modes, high_quality_fraction=0.5, reverse_kl=0.1), step=steps)
            (path / name / f'eval_{steps}.json').write_text(json.dumps(dict(result, settings=settings or {}, plots=[])))
        (path / runs.MANIFEST).write_text(json.dumps(manifest))

    lost = tmp_path / 'lost'
    root_with(lost, [('dcgan-pacgan-s0', 'dcgan', 0, 5.0), ('dcgan-pacgan-s1', 'dcgan', 1, 7.0)])
    report.write_report(str(lost))
    earlier = str(lost / 'results.json')
    new = tmp_path / 'new'
    root_with(new, [('alphagan-pacgan-s0', 'alphagan', 0, 8.0), ('dcgan-pacgan-s1', 'dcgan', 1, 6.0)])
    report.write_report(str(new), earlier=earlier)
    summaries = {s['label']: s for s in json.loads((new / 'results.json').read_text())['summaries']['pacgan']}
    assert summaries['dcgan']['modes']['values'] == [5.0, 6.0]  # s0 from the earlier report, s1 rerun here
    assert summaries['alphagan']['modes']['values'] == [8.0]
    markdown = (new / 'results.md').read_text()
    assert f'copied from an earlier report, `{earlier}`' in markdown
    assert 'no pictures of them): dcgan-pacgan-s0 at 100 steps.' in markdown
    kept = [r for r in json.loads((new / 'results.json').read_text())['runs'] if r['run'] == 'dcgan-pacgan-s0']
    assert [r['from'] for r in kept] == [earlier]
    assert 'Generators evaluated: the trained weights.' in markdown

    pre_average = tmp_path / 'pre_average.json'  # a report from before the generator average: rows without weights
    written = json.loads((lost / 'results.json').read_text())
    written['runs'] = [{k: v for k, v in r.items() if k != 'weights'} for r in written['runs']]
    pre_average.write_text(json.dumps(written))
    report.write_report(str(new), out=str(tmp_path / 'from_pre_average'), earlier=str(pre_average))
    assert 'Generators evaluated: the trained weights.' in (tmp_path / 'from_pre_average' / 'results.md').read_text()

    # s1 trained on to 200 steps on a new root: the earlier 100-step rows stay a line of their own (one line
    # averaging 100 and 200 steps would mix budgets), and their stage a point of the learning curve.
    longer = tmp_path / 'longer'
    root_with(longer, [('dcgan-pacgan-s1', 'dcgan', 1, 6.0)], steps=200)
    report.write_report(str(longer), earlier=earlier)
    written = json.loads((longer / 'results.json').read_text())
    lines = [(s['name'], s['steps'], s['modes']['values']) for s in written['summaries']['pacgan']]
    assert lines == [('dcgan, 100 steps', 100, [5.0, 7.0]), ('dcgan, 200 steps', 200, [6.0])]
    stages = [(0, 100, 5.0), (1, 100, 7.0), (1, 200, 6.0)]  # seed, steps, modes
    assert sorted((c['seed'], c['steps'], c['modes']) for c in written['curves']) == stages
    markdown = (longer / 'results.md').read_text()
    assert '| dcgan | 100 steps | 2 | 6.0 ± 1.0 |' in markdown and '| dcgan | 200 steps | 1 | 6.0 ± 0.0 |' in markdown
    assert '| dcgan, 200 steps | 1 |' in markdown  # the every-seed table names the budget
    assert 'dcgan-pacgan-s1 at 100 steps' in markdown
    pre_curves = tmp_path / 'pre_curves.json'  # a report older than the curves: its rows are its stage's points
    pre_curves.write_text(
        json.dumps({k: v for k, v in json.loads((lost / 'results.json').read_text()).items() if k != 'curves'})
    )
    report.write_report(str(longer), out=str(tmp_path / 'from_pre_curves'), earlier=str(pre_curves))
    points = json.loads((tmp_path / 'from_pre_curves' / 'results.json').read_text())['curves']
    assert sorted((c['seed'], c['steps'], c['modes']) for c in points) == stages
    # Seed 1 evaluated again with refreshed BatchNorm statistics: another eval, a line of its own, never averaged.
    refreshed = tmp_path / 'refreshed'
    root_with(refreshed, [('dcgan-pacgan-s1', 'dcgan', 1, 8.0)], settings={'batchnorm_passes': 50})
    report.write_report(str(refreshed), earlier=earlier)
    summaries = json.loads((refreshed / 'results.json').read_text())['summaries']['pacgan']
    assert [(s['headline_name'], s['modes']['values']) for s in summaries] == [
        ('dcgan, running BatchNorm statistics', [5.0, 7.0]),
        ('dcgan, BatchNorm refreshed (50 passes)', [8.0]),
    ]
    markdown = (refreshed / 'results.md').read_text()
    assert '| dcgan, BatchNorm refreshed (50 passes) | 100 steps | 1 | 8.0 ± 0.0 |' in markdown
    assert 'at eval: running for dcgan at 100 steps; refreshed with 50 train-mode batches' in markdown
    kept_names = 'dcgan-pacgan-s0 at 100 steps, running BatchNorm statistics; dcgan-pacgan-s1 at 100 steps, running'
    assert f'no pictures of them): {kept_names} BatchNorm statistics.' in markdown
    points = json.loads((refreshed / 'results.json').read_text())['curves']
    assert sorted((c['seed'], c['batchnorm_passes'], c['modes']) for c in points) == [
        (0, 0, 5.0),
        (1, 0, 7.0),
        (1, 50, 8.0),
    ]
    grid = tmp_path / 'grid25.json'
    grid.write_text((lost / 'results.json').read_text().replace('"suite": "ring8"', '"suite": "grid25"'))
    with pytest.raises(report.EarlierReportError, match="suite 'grid25', not 'ring8'"):
        report.write_report(str(new), out=str(tmp_path / 'other'), earlier=str(grid))
    (tmp_path / 'manifest.json').write_text(json.dumps({'suite': 'ring8', 'runs': [{'name': 'x'}]}))
    for path in (tmp_path / 'manifest.json', tmp_path / 'missing.json', tmp_path):
        finished = study(repo, new, '--report', f'--out={tmp_path / "other"}', f'--earlier={path}')
        assert finished.returncode == 1 and 'Traceback' not in finished.stderr, finished.stderr
        assert f'--earlier={path} is not the results.json of a study report' in finished.stderr.strip().splitlines()[-1]
