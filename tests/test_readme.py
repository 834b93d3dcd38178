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
