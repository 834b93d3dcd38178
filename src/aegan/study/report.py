"""Collects a study's eval JSONs into `results.md` (mean ± std over seeds and every seed, published rows beside ours,
marked as quoted), `results.csv` (one row per run and sampler), `results.json` and pictures: the headline metrics per
method with one dot per seed, the samples of every method side by side, and (Stacked MNIST) the mode histograms.

Every number in the report is read from an eval JSON; nothing is recomputed here.
"""

import csv
import json
import os
import re

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from aegan.study import runs, suites  # noqa: E402

# (metric key in the eval JSON, column title, format) per kind of data.
COLUMNS_2D = (
    ('modes', 'modes', '{:.1f}'),
    ('high_quality_fraction', 'high quality', '{:.1%}'),
    ('reverse_kl', 'reverse KL', '{:.3f}'),
)
COLUMNS_STACKED = (
    ('modes', 'modes', '{:.1f}'),
    ('reverse_kl', 'KL', '{:.3f}'),
    ('confident_fraction', 'confident', '{:.1%}'),
    ('recall', 'recall', '{:.3f}'),  # label-free coverage measures in the counter's feature space (docs/metrics.md)
    ('coverage', 'coverage', '{:.3f}'),
)
EVAL_AT_STEP = re.compile(r'eval_(\d+)\.json')  # the prior sampler's eval of one checkpoint (runs.eval_json)
QUALITY = {'ring8': 'high_quality_fraction', 'grid25': 'high_quality_fraction', 'stacked_mnist': 'confident_fraction'}


def collect(root: str, steps: int | None = None) -> tuple[str, list[dict], list[dict]]:
    """(suite name, one row per (run, sampler) with an eval JSON: run fields, metrics, wall seconds, JSON path;
    the manifest's runs). `steps`: the evals of that stage (a study trained in stages, read while the next trains)
    rather than of each run's budget in the manifest."""
    path = os.path.join(root, runs.MANIFEST)
    if not os.path.exists(path):
        raise FileNotFoundError(f'{path} not found: {root} is not a study root (run python -m aegan.study first).')
    with open(path) as f:
        manifest = json.load(f)
    rows = []
    for run in manifest['runs']:
        timing_path = os.path.join(root, 'logs', f'{run["name"]}.json')
        at_budget = steps in (None, run['num_train_steps'])
        # A timing log sums the time up to the latest stage: another stage's row gets no wall time, not a wrong one.
        timing = json.load(open(timing_path)) if at_budget and os.path.exists(timing_path) else {}
        config_path = os.path.join(root, run['name'], 'config.json')
        batch_size = json.load(open(config_path)).get('batch_size') if os.path.exists(config_path) else None
        for sampler in run['samplers']:
            eval_path = runs.eval_json(root, run['name'], steps or run['num_train_steps'], sampler)
            if not os.path.exists(eval_path):
                continue
            with open(eval_path) as f:
                result = json.load(f)
            rows.append(
                {
                    'run': run['name'],
                    'method': run['method'],
                    'label': run['method'] if sampler == 'prior' else f'{run["method"]} + {sampler.upper()}',
                    'setting': run['setting'],
                    'seed': run['seed'],
                    'sampler': sampler,
                    'steps': result['step'],
                    'batch_size': batch_size,
                    'weights': result['settings'].get('weights', 'raw'),  # an eval before the average existed: raw
                    'batchnorm_passes': result['settings'].get('batchnorm_passes', 0),  # eval.recompute_batch_stats
                    **result['metrics'],
                    'train_seconds': timing.get('train_seconds'),
                    'eval_seconds': timing.get(f'eval_{sampler}_seconds'),
                    'json': os.path.relpath(eval_path, root),
                    'plots': [os.path.relpath(p, root) for p in result['plots'] if p.startswith(root)],
                    'settings': result['settings'],
                }
            )
    return manifest['suite'], rows, manifest['runs']


ROW_KEYS = ('run', 'method', 'label', 'setting', 'seed', 'sampler', 'steps')  # what a kept row must carry


class EarlierReportError(ValueError):
    """An --earlier results.json that cannot be merged; its message is the one line the user sees."""


def earlier_rows(path: str, suite_name: str, rows: list[dict], steps: int | None = None) -> list[dict]:
    """The rows of an earlier report's results.json whose eval (run, sampler, steps, BatchNorm passes) `rows` lacks:
    evals that are not under this root (a study trained on a machine since lost, a stage this root skipped, an eval
    with other BatchNorm passes) stay in the report with the numbers their eval JSONs had, marked by `from` (the
    report they were first copied from, kept through later merges). `steps`: only the rows of that stage, so that a
    stage's report holds no row of another budget."""
    try:
        with open(path) as f:
            earlier = json.load(f)
        suite, runs_of_earlier = earlier['suite'], earlier['runs']
        missing = {key for r in runs_of_earlier for key in ROW_KEYS if key not in r}
        if missing:
            raise KeyError(f'rows without {sorted(missing)}')
    except (OSError, ValueError, KeyError, TypeError) as e:
        why = f'{type(e).__name__}: {e}' if not isinstance(e, OSError) else (e.strerror or str(e))
        raise EarlierReportError(
            f'--earlier={path} is not the results.json of a study report ({why}): pass results/<suite>/results.json.'
        ) from None
    if suite != suite_name:
        raise EarlierReportError(f'--earlier={path} is a report of suite {suite!r}, not {suite_name!r}.')
    # A report written before the generator average (the BatchNorm refresh) existed has no `weights`
    # (`batchnorm_passes`): its evals read the trained weights (with their running statistics).
    runs_of_earlier = [{'weights': 'raw', 'batchnorm_passes': 0, **r} for r in runs_of_earlier]
    eval_of = lambda r: (r['run'], r['sampler'], r['steps'], r['batchnorm_passes'])  # noqa: E731
    have = {eval_of(r) for r in rows}
    kept = [r for r in runs_of_earlier if eval_of(r) not in have and steps in (None, r['steps'])]
    return [{**r, 'settings': {}, 'plots': [], 'from': r.get('from') or path} for r in kept]


def earlier_curves(path: str) -> list[dict]:
    """The learning-curve points of an earlier report (its results.json's `curves`; none in a report older than
    them), checked before anything is written: the stages of a root since lost stay on the curve."""
    with open(path) as f:
        points = json.load(f).get('curves', [])
    if not isinstance(points, list) or not all(
        isinstance(c, dict) and all(k in c for k in CURVE_KEY) and isinstance(c['steps'], int) for c in points
    ):
        raise EarlierReportError(f'--earlier={path} has curve points without {list(CURVE_KEY)}: pass a study report.')
    return [{'batchnorm_passes': 0, **c} for c in points]  # a point from before the refresh: running statistics


CURVE_KEY = ('label', 'setting', 'seed', 'steps')  # one point of a learning curve (and its batchnorm_passes)


def curve_point_key(c: dict) -> tuple:
    """A point's identity: an eval with other BatchNorm passes is another point (a curve of its own)."""
    return (*(c[k] for k in CURVE_KEY), c['batchnorm_passes'])


def collect_curves(root: str, manifest_runs: list[dict]) -> list[dict]:
    """One row per (run, step) of every prior-sampler eval JSON a run holds (`eval_<step>.json`): a study trained in
    stages (`--steps=5000`, then `--steps=15000` on the same root) leaves one per stage, a learning curve."""
    rows = []
    for run in manifest_runs:
        folder = os.path.join(root, run['name'])
        steps = sorted(
            int(m.group(1))
            for m in map(EVAL_AT_STEP.fullmatch, os.listdir(folder) if os.path.isdir(folder) else [])
            if m
        )
        for step in steps:
            with open(runs.eval_json(root, run['name'], step, 'prior')) as f:
                result = json.load(f)
            point = {'label': run['method'], 'setting': run['setting'], 'seed': run['seed'], 'steps': step}
            passes = result['settings'].get('batchnorm_passes', 0)
            rows.append({**point, 'batchnorm_passes': passes, **result['metrics']})
    return rows


def plot_curves(path: str, rows: list[dict], columns, anchors=()) -> None:
    """Each headline metric against training steps: a method's mean over seeds as a line, each seed as a dot, the
    quoted rows as dashed lines (their budgets are in the headline table)."""
    columns = columns[:3]
    fig, axes = plt.subplots(1, len(columns), figsize=(4.8 * len(columns), 3.6), squeeze=False)
    both = mixes_batchnorm_statistics(rows)
    for ax, (key, title, _) in zip(axes[0], columns):
        for i, line in enumerate(dict.fromkeys((r['label'], r['batchnorm_passes']) for r in rows)):
            label = line[0] + (eval_note(line[1]) if both else '')
            mine = [r for r in rows if (r['label'], r['batchnorm_passes']) == line and np.isfinite(r.get(key, np.nan))]
            steps = sorted({r['steps'] for r in mine})
            color = f'C{i}'
            ax.plot([r['steps'] for r in mine], [r[key] for r in mine], 'o', color=color, markersize=3, alpha=0.5)
            means = [np.mean([r[key] for r in mine if r['steps'] == step]) for step in steps]
            ax.plot(steps, means, '-', color=color, label=label)
        for j, anchor in enumerate(a for a in anchors if key in a):
            ax.axhline(anchor[key], color=f'C{j}', linestyle='--', linewidth=0.8, alpha=0.5)
            ax.annotate(
                f'quoted: {anchor["method"]}',
                (1.0, anchor[key]),
                xycoords=('axes fraction', 'data'),
                fontsize=6,
                ha='right',
                va='bottom',
                color='gray',
            )
        ax.set_xscale('log')
        ax.set_xlabel('training steps', fontsize=8)
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=8)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def rows_of_setting(rows: list[dict], setting: str) -> list[dict]:
    return [r for r in rows if r['setting'] in (setting, 'any')]


def eval_note(passes: int) -> str:
    return f', BatchNorm refreshed ({passes} passes)' if passes else ', running BatchNorm statistics'


def mixes_batchnorm_statistics(rows: list[dict]) -> bool:
    """Whether `rows` hold evals with running and with refreshed statistics: then each line says which (`eval_note`)."""
    return len({r.get('batchnorm_passes', 0) for r in rows}) > 1


def summarise(rows: list[dict], columns) -> list[dict]:
    """Per label (method, sampler), budget and eval: seeds, and mean / std (population, over seeds) / per-seed values
    of each column. A label with rows at several budgets (an earlier report's 40,000-step seeds beside a
    100,000-step stage) gets a line for each, never one average of both; where the setting holds evals with and
    without refreshed BatchNorm statistics, every line's `name` says which."""
    labels = list(dict.fromkeys(r['label'] for r in rows))
    group_of = lambda r: (r['label'], r['steps'], r.get('batchnorm_passes', 0))  # noqa: E731
    groups = sorted({group_of(r) for r in rows}, key=lambda g: (labels.index(g[0]), *g[1:]))
    out = []
    for group in groups:
        label, steps, passes = group
        mine = sorted((r for r in rows if group_of(r) == group), key=lambda r: r['seed'])
        siblings = [g for g in groups if g[0] == label]
        note = eval_note(passes) if mixes_batchnorm_statistics(rows) else ''  # kinds side by side: every line says
        summary = {
            'label': label,
            'name': label + (f', {steps:,} steps' if len({g[1] for g in siblings}) > 1 else '') + note,
            'headline_name': label + note,  # the headline table has a budget column
            'seeds': [r['seed'] for r in mine],
            'batchnorm_passes': passes,
        }
        for key, _, _ in columns:
            values = np.array([r.get(key, np.nan) for r in mine], float)
            with np.errstate(invalid='ignore'):  # an infinite KL (no sample near any mode) has no std
                se = float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float('nan')
                summary[key] = {
                    'mean': float(values.mean()),
                    'std': float(values.std()),
                    'se': se,  # the papers' ± (sample std / sqrt(trials))
                    'values': values.tolist(),
                }
        walls = [r['train_seconds'] for r in mine if r['train_seconds'] is not None]
        summary['train_seconds'] = float(np.mean(walls)) if walls else None
        summary['steps'] = mine[0]['steps']
        summary['batch_size'] = mine[0].get('batch_size')
        out.append(summary)
    return out


def _fmt(fmt: str, value) -> str:
    return '—' if value is None or (isinstance(value, float) and np.isnan(value)) else fmt.format(value)


def real_data_floor(rows: list[dict]) -> dict | None:
    """What real data score with the same counter (mode_coverage's settings) and features (precision_recall's)."""
    for row in rows:
        floor = row['settings'].get('mode_coverage', {}).get('real_data')
        if floor:
            floor = {**floor, 'counter_accuracy': row['settings']['mode_coverage']['classifier_test_accuracy']}
            second = next(
                (
                    r['settings']['precision_recall'].get('real_data')
                    for r in rows
                    if 'precision_recall' in r['settings']
                ),
                None,
            )
            return {**floor, 'second_draw': second} if second else floor
    return None


def headline_table(summaries, columns, anchors=(), spread: str = 'std') -> list[str]:
    """A row per method (and sampler) and per quoted row: its budget, seeds and the first three columns as
    mean ± `spread`, the published rows beside ours with their budgets."""
    columns = columns[:3]
    word = {'std': 'std over seeds', 'se': 'standard error'}[spread]
    lines = ['| method | budget | seeds | ' + ' | '.join(title for _, title, _ in columns) + ' |']
    lines += ['|' + '---|' * (len(columns) + 3)]
    for s in summaries:
        budget = f'{s["steps"]:,} steps' + (f' of batch {s["batch_size"]}' if s.get('batch_size') else '')
        cells = [f'{_fmt(f, s[k]["mean"])} ± {_fmt(f, s[k][spread])}' for k, _, f in columns]
        lines.append(f'| {s["headline_name"]} | {budget} | {len(s["seeds"])} | ' + ' | '.join(cells) + ' |')
    for anchor in anchors:
        se = anchor.get('se', {})
        cells = [_fmt(f, anchor.get(k)) + (f' ± {_fmt(f, se[k])}' if k in se else '') for k, _, f in columns]
        budget = anchor.get('budget', '—')
        lines.append(f'| *quoted:* {anchor["method"]}, {anchor["source"]} | {budget} | — | ' + ' | '.join(cells) + ' |')
    return [*lines, '', f"mean ± {word}; the quoted rows carry their tables' ± where they give one."]


def markdown_table(summaries, columns, anchors=(), floor=None) -> list[str]:
    head = '| method | seeds | ' + ' | '.join(f'{title} (mean ± std)' for _, title, _ in columns)
    head += ' | per seed (' + ' / '.join(t for _, t, _ in columns) + ') | train wall per run |'
    lines = [head, '|' + '---|' * (len(columns) + 4)]
    for s in summaries:
        cells = [f'{_fmt(f, s[k]["mean"])} ± {_fmt(f, s[k]["std"])}' for k, _, f in columns]
        seeds = '; '.join(' / '.join(_fmt(f, s[k]['values'][i]) for k, _, f in columns) for i in range(len(s['seeds'])))
        wall = '—' if s['train_seconds'] is None else f'{s["train_seconds"]:.0f} s ({s["steps"]} steps)'
        lines.append(
            f'| {s["name"]} | {",".join(map(str, s["seeds"]))} | ' + ' | '.join(cells) + f' | {seeds} | {wall} |'
        )
    if floor:
        names = [('train_triples', 'training triples'), ('held_out_triples', 'held-out triples')]
        names += [('second_draw', 'a second draw of training triples, as samples')] if 'second_draw' in floor else []
        for name, title in names:
            cells = [_fmt(f, floor[name].get(k)) for k, _, f in columns]
            lines.append(f'| *real data, {title} (floor of our counter)* | — | ' + ' | '.join(cells) + ' | — | — |')
        uniform = [f'{floor["uniform_multinomial_kl"]:.3f}' if k == 'reverse_kl' else '—' for k, _, _ in columns]
        lines.append(
            f'| *{floor["num_samples"]} perfect uniform draws (multinomial floor)* | — | '
            + ' | '.join(uniform)
            + ' | — | — |'
        )
    for anchor in anchors:
        cells = [_fmt(f, anchor.get(k)) for k, _, f in columns]
        lines.append(f'| *quoted:* {anchor["method"]}, {anchor["source"]} | — | ' + ' | '.join(cells) + ' | — | — |')
    return lines


def plot_metrics(path: str, summaries_by_setting: dict, columns) -> None:
    """One panel per (setting, headline metric): each method's mean as a bar, each seed as a dot."""
    settings = list(summaries_by_setting)
    fig, axes = plt.subplots(
        len(settings), len(columns), figsize=(4.5 * len(columns), 0.4 + 3.2 * len(settings)), squeeze=False
    )
    for i, setting in enumerate(settings):
        summaries = summaries_by_setting[setting]
        labels = [s['name'] for s in summaries]
        for j, (key, title, _) in enumerate(columns):
            ax = axes[i, j]
            finite = lambda values: np.where(np.isfinite(values), values, np.nan)  # an infinite KL is not drawn
            ax.barh(range(len(labels)), finite([s[key]['mean'] for s in summaries]), color='#9ecae1')
            for y, s in enumerate(summaries):
                ax.plot(finite(s[key]['values']), [y] * len(s[key]['values']), 'o', color='#08519c', markersize=4)
            ax.set_yticks(range(len(labels)), labels if j == 0 else [''] * len(labels), fontsize=8)
            ax.invert_yaxis()
            ax.set_title(f'{setting}: {title}' if len(settings) > 1 else title, fontsize=9)
            ax.tick_params(axis='x', labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


MONTAGE_PANEL_PIXELS = 600  # a panel's width at least: a grid of 8 x 8 digits gets >= 64 px a digit


def montage(path: str, pictures: list[tuple[str, str]], columns: int = 3) -> None:
    """The PNGs side by side under their labels, each scaled up by an integer factor (nearest neighbour: pixels stay
    sharp) to at least MONTAGE_PANEL_PIXELS wide, so that a raw-size sample grid is as readable as the eval's."""
    images = []
    for _, png in pictures:
        with Image.open(png) as picture:
            images.append(picture.convert('RGB'))
    width = max(image.width for image in images)
    scale = max(1, -(-MONTAGE_PANEL_PIXELS // width))
    columns = columns if width < 2 * max(image.height for image in images) else 2  # wide pictures two to a row
    font = ImageFont.load_default(size=18)
    label_height, gap = 28, 12
    panel_w = width * scale
    panel_h = max(image.height for image in images) * scale + label_height
    rows = -(-len(images) // columns)
    sheet = Image.new('RGB', (columns * (panel_w + gap) + gap, rows * (panel_h + gap) + gap), 'white')
    draw = ImageDraw.Draw(sheet)
    for i, ((label, _), image) in enumerate(zip(pictures, images)):
        r, q = divmod(i, columns)
        left, top = gap + q * (panel_w + gap), gap + r * (panel_h + gap)
        draw.text((left + panel_w / 2, top + label_height / 2), label, fill='black', font=font, anchor='mm')
        scaled = image.resize((image.width * scale, image.height * scale), Image.NEAREST)
        sheet.paste(scaled, (left, top + label_height))
    # A 256-colour palette keeps the committed PNGs small (sample grids are mostly noise to a PNG compressor).
    sheet.quantize(256).save(path, optimize=True)


def batchnorm_note(rows: list[dict]) -> list[str]:
    """Which BatchNorm statistics the generators sampled with (eval.recompute_batch_stats), where any was refreshed:
    by line when the report holds both kinds."""
    passes = sorted({r['batchnorm_passes'] for r in rows})
    if passes == [0]:
        return []
    parts = []
    for p in passes:
        kind = f"refreshed with {p} train-mode batches of fresh z (PacGAN's monitoring pass)" if p else 'running'
        lines = dict.fromkeys(f'{r["label"]} at {r["steps"]:,} steps' for r in rows if r['batchnorm_passes'] == p)
        parts.append(kind + ('' if len(passes) == 1 else f' for {", ".join(lines)}'))
    return ['BatchNorm statistics of the generators at eval: ' + '; '.join(parts) + '.', '']


def write_report(root: str, out: str | None = None, earlier: str | None = None, steps: int | None = None) -> list[str]:
    """Writes results.md, results.csv, results.json and the PNGs into `out` (default: `root`); returns their paths.
    `earlier`: an earlier report's results.json, whose rows of runs not under `root` are kept (`earlier_rows`), and
    its learning-curve points that `root` lacks (`earlier_curves`). `steps`: report that stage of every run
    (`collect`)."""
    out = out or root
    suite_name, rows, manifest_runs = collect(root, steps)
    kept = earlier_rows(earlier, suite_name, rows, steps) if earlier else []
    earlier_points = earlier_curves(earlier) if earlier else []
    rows += kept
    os.makedirs(out, exist_ok=True)
    suite = suites.get_suite(suite_name)
    if not rows:
        stage = f' of the {steps:,}-step stage' if steps else ''
        raise FileNotFoundError(
            f'No eval JSONs{stage} under {root} yet: no run has finished {"that stage" if steps else "training"}.'
        )
    columns = COLUMNS_STACKED if suite.dataset == 'stacked_mnist' else COLUMNS_2D
    floor = real_data_floor(rows)
    written, summaries_by_setting = [], {}
    lines = [
        f'# Study `{suite_name}`',
        '',
        f'{suite.description} Generated by `python -m aegan.study --report --root=<root>` from the eval JSONs of each '
        'run (every number below is read from them; the commands that made them are in `logs/`). Rows marked '
        '*quoted* are published numbers from other papers, with their own nets and budgets, for orientation only. '
        'Wall times are as the study measured them, with whatever else ran on the machine at the time.',
        '',
    ]
    if kept:
        both = mixes_batchnorm_statistics(rows)  # then say which statistics each kept eval used
        names = '; '.join(
            dict.fromkeys(
                f'{r["run"]} at {r["steps"]:,} steps' + (eval_note(r['batchnorm_passes']) if both else '') for r in kept
            )
        )
        lines += [
            f'Evals this root does not hold, their numbers copied from an earlier report, '
            f'`{kept[0]["from"]}` as it stood before (`git log` has it; no pictures of them): {names}.',
            '',
        ]
    weights = sorted({r['weights'] for r in rows})
    lines += [
        'Generators evaluated: '
        + ', '.join(
            {'ema': "the moving average of the generator's weights (config.ema)", 'raw': 'the trained weights'}[w]
            for w in weights
        )
        + ('' if len(weights) == 1 else ', by run: see the `weights` column of results.csv')
        + '.',
        '',
    ]
    lines += batchnorm_note(rows)
    if floor:
        lines += [
            f'Mode counter: held-out accuracy {floor["counter_accuracy"]:.1%} (500 embedded digits); a digit is '
            '"confident" at probability >= 0.9, and a sample when all three of its digits are.',
            '',
        ]
    if len(suite.settings) > 1:
        lines += [
            'Methods without a data discriminator (AE, VAE, AAE, AGE) do not depend on the setting: their rows are the '
            'same runs in every table.',
            '',
        ]
    for setting in suite.settings:
        mine = rows_of_setting(rows, setting)
        if not mine:
            continue
        summaries = summarise(mine, columns)
        summaries_by_setting[setting] = summaries
        lines += [f'## Setting `{setting}`', '']
        lines += headline_table(summaries, columns, suite.anchors.get(setting, ()), suite.spread)
        lines += ['', 'Every seed:', '']
        lines += markdown_table(summaries, columns, suite.anchors.get(setting, ()), floor)
        lines += ['']
    metrics_png = os.path.join(out, 'metrics.png')
    plot_metrics(metrics_png, summaries_by_setting, columns)
    written.append(metrics_png)
    lines += ['![modes and quality per method; dots are seeds](metrics.png)', '']
    curves = collect_curves(root, manifest_runs)
    have = {curve_point_key(c) for c in curves}
    curves += [c for c in earlier_points if curve_point_key(c) not in have]
    have = {curve_point_key(c) for c in curves}
    # A kept row is an eval of the prior sampler at its budget, a point of its curve (reports older than the
    # curves hold their stages only as rows).
    curves += [
        {**{k: r[k] for k in (*CURVE_KEY, 'batchnorm_passes')}, **{k: r[k] for k, _, _ in columns if k in r}}
        for r in kept
        if r['sampler'] == 'prior' and curve_point_key(r) not in have
    ]
    curves = [c for c in curves if steps is None or c['steps'] <= steps]  # a stage's report: no later stage's point
    for setting in summaries_by_setting:
        mine = rows_of_setting(curves, setting)
        if len({r['steps'] for r in mine}) > 1:
            png = os.path.join(out, f'curves_{setting}.png')
            plot_curves(png, mine, columns, suite.anchors.get(setting, ()))
            written.append(png)
            lines += [
                f'Learning curves, setting `{setting}` (one eval per stage of the study; dots are seeds):',
                '',
                f'![curves]({os.path.basename(png)})',
                '',
            ]
    pictures = (('samples', 'Samples', False), ('modes', 'Mode histograms', True))  # eval PNGs: grid, *_modes.png
    for setting in summaries_by_setting:
        mine = rows_of_setting(rows, setting)
        seed = min((r['seed'] for r in mine if r['plots']), default=None)  # kept rows (--earlier) have none
        if seed is None:
            continue
        for prefix, title, histogram in pictures:
            labelled = [
                (r['label'], os.path.join(root, plot))
                for r in mine
                if r['seed'] == seed
                for plot in r['plots']
                if plot.endswith('_modes.png') == histogram
            ]
            if labelled:
                png = os.path.join(out, f'{prefix}_{setting}.png')
                montage(png, labelled)
                written.append(png)
                lines += [
                    f'{title}, setting `{setting}`, seed {seed}:',
                    '',
                    f'![{prefix}]({os.path.basename(png)})',
                    '',
                ]
    md = os.path.join(out, 'results.md')
    with open(md, 'w') as f:
        f.write('\n'.join(lines))
    flat_keys = [
        'run',
        'method',
        'label',
        'setting',
        'seed',
        'sampler',
        'weights',
        'batchnorm_passes',
        'steps',
        *[k for k, _, _ in columns],
    ]
    flat_keys += sorted({k for r in rows for k in r} - set(flat_keys) - {'settings', 'plots', 'json'}) + ['json']
    csv_path = os.path.join(out, 'results.csv')
    with open(csv_path, 'w', newline='') as f:
        writer = csv.DictWriter(f, flat_keys, extrasaction='ignore')
        writer.writeheader()
        writer.writerows(rows)
    json_path = os.path.join(out, 'results.json')
    with open(json_path, 'w') as f:
        json.dump(
            {
                'suite': suite_name,
                'summaries': summaries_by_setting,
                'real_data_floor': floor,
                'anchors': {k: list(v) for k, v in suite.anchors.items()},
                'runs': [{k: v for k, v in r.items() if k != 'settings'} for r in rows],
                'curves': curves,
            },
            f,
            indent=2,
        )
    return [md, csv_path, json_path, *written]
