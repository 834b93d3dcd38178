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
