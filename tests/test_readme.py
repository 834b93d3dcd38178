"""The README's fresh-machine commands are the ones CI and the demo config actually use."""

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


def test_readme_result_rows_are_the_committed_study_reports(repo):
    """Every table row of the README's Results section is copied from a results/<suite>/results.md, which the
    study's report writes from the eval JSONs: a number typed by hand, or left from an older run, fails here."""
    readme = (repo / 'README.md').read_text()
    section = readme.split('\n## Results\n', 1)[1].split('\n## ', 1)[0]
    reports = '\n'.join(p.read_text() for p in sorted((repo / 'results').glob('*/results.md')))
    rows = [line for line in section.splitlines() if line.startswith('| ') and not line.startswith('| method |')]
    assert rows, 'the Results section has no table'
    for row in rows:
        assert row in reports, f'README row not in any results/*/results.md: {row}'
    for picture in re.findall(r'\]\((results/[^)]+\.png)\)', section):
        assert (repo / picture).exists(), picture


def test_readme_benchmark_table_is_the_one_built_from_the_benchmark_outputs(repo):
    """README's Benchmarks table is `benchmarks/readme_table.py`'s rendering of benchmarks/results/*.json (what the
    benchmark commands write): a figure edited by hand, or a JSON rerun without --write, fails here."""
    import importlib.util

    spec = importlib.util.spec_from_file_location('readme_table', repo / 'benchmarks' / 'readme_table.py')
    readme_table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(readme_table)
    readme = (repo / 'README.md').read_text()
    block = readme.split(readme_table.BEGIN, 1)[1].split(readme_table.END, 1)[0].strip()
    assert block == readme_table.table(), 'run: python benchmarks/readme_table.py --write'
    assert re.search(r'\*\*\d+\.\d\dx', block), 'the table holds ratios'


def test_readme_metric_agreement_figures_are_the_parity_record(repo):
    """The Metrics table's agreement figures (IS, FID/KID, PRDC rows) are values of results/parity/parity.json,
    written by tests/parity.py, at the printed precision."""
    import json

    record = json.loads((repo / 'results' / 'parity' / 'parity.json').read_text())
    measured = {f'{r["difference"]:.2g}' for r in record['table']}
    readme = (repo / 'README.md').read_text()
    marks = ('same random Inception weights', 'official `prdc`')
    rows = [line for line in readme.splitlines() if any(mark in line for mark in marks)]
    assert len(rows) == 3, rows
    for row in rows:
        figures = re.findall(r'(?<![\w.])(\d\.\d+e-\d\d|0\.000\d+|0)(?= |,|$| \()', row.split('|')[-2])
        assert figures, row
        for figure in figures:
            assert figure in measured, f'{figure} in the README Metrics table is not in results/parity/parity.json'
