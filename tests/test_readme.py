"""The README's commands are the ones CI and the demo use, and its figures are those of their records."""

import re


def test_ci_runs_the_readme_test_command(repo):
    ci_command = (repo / '.ci' / 'run').read_text().strip().splitlines()[-1]
    readme = (repo / 'README.md').read_text()
    assert ci_command in readme


def test_readme_demo_command_names_an_existing_config(repo):
    readme = (repo / 'README.md').read_text()
    configs = re.findall(r'--config=(experiments/\S+\.py)', readme)
    assert configs, 'README has no train command'
    for config in configs:
        assert (repo / config).exists(), config


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip('|').split('|')]


def in_order(figures: list[str], report: list[str]) -> bool:
    """`figures` are cells of `report` in its order (two columns swapped fail), each cell used once."""
    at = 0
    for figure in figures:
        if figure not in report[at:]:
            return False
        at = report.index(figure, at) + 1
    return True


def test_readme_result_rows_are_the_committed_study_reports(repo):
    """Every table row of the README's Results section is a row of the results/<suite>/results.md its paragraph links
    (which the study's report writes from the eval JSONs), shortened to some of its columns: each figure must stand in
    the report's row of the same method. A number typed by hand, or left from an older run, fails here."""
    readme = (repo / 'README.md').read_text()
    section = readme.split('\n## Results\n', 1)[1].split('\n## ', 1)[0]
    checked = 0
    for paragraph in section.split('\n\n**')[1:]:
        linked = re.findall(r'\((results/[^)]+/results\.md)\)', paragraph)
        assert linked, f'a Results table without its report: {paragraph[:80]}'
        report_rows = [cells(line) for path in linked for line in (repo / path).read_text().splitlines()]
        for line in paragraph.splitlines():
            if not line.startswith('| ') or line.startswith('| method |'):
                continue
            row = cells(line)
            matches = [r for r in report_rows if r[0] == row[0] and in_order(row[1:], r[1:])]
            assert matches, f'README row not in {linked}: {line}'
            checked += 1
    assert checked >= 20, checked
    for picture in re.findall(r'\]\((results/[^)]+\.png)\)', section):
        assert (repo / picture).exists(), picture


def test_readme_benchmark_table_is_the_one_built_from_the_benchmark_outputs(repo):
    """README's Benchmarks table is `benchmarks/readme_table.py`'s rendering of benchmarks/results/*.json (what the
    benchmark commands write): a figure edited by hand, or a JSON rerun without --write, fails here."""
    import importlib.util

    spec = importlib.util.spec_from_file_location('readme_table', repo / 'benchmarks' / 'readme_table.py')
    readme_table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(readme_table)
    full = readme_table.table()
    for path, expected in (('README.md', readme_table.compact(full)), ('benchmarks/README.md', full)):
        text = (repo / path).read_text()
        block = text.split(readme_table.BEGIN, 1)[1].split(readme_table.END, 1)[0].strip()
        assert block == expected, f'{path}: run python benchmarks/readme_table.py --write'
        assert re.search(r'\*\*\d+\.\d\dx', block), 'the table holds ratios'


def test_readme_metric_agreement_figures_are_the_parity_record(repo):
    """docs/eval.md's Metrics table: its agreement figures (IS, FID/KID, PRDC rows) are values of the parity record
    results/parity/parity.json, written by tests/parity.py, at the printed precision."""
    import json

    record = json.loads((repo / 'results' / 'parity' / 'parity.json').read_text())
    measured = {f'{r["difference"]:.2g}' for r in record['table']}
    readme = (repo / 'docs' / 'eval.md').read_text()
    marks = ('same random Inception weights', 'official `prdc`')
    rows = [line for line in readme.splitlines() if any(mark in line for mark in marks)]
    assert len(rows) == 3, rows
    for row in rows:
        figures = re.findall(r'(?<![\w.])(\d\.\d+e-\d\d|0\.000\d+|0)(?= |,|$| \()', row.split('|')[-2])
        assert figures, row
        for figure in figures:
            assert figure in measured, f'{figure} of docs/eval.md is not in results/parity/parity.json'
