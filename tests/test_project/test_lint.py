"""The code keeps OpenMMLab's style: flake8, isort and yapf with the settings
in setup.cfg (the same hooks as .pre-commit-config.yaml)."""
import subprocess

import pytest

from tests.helpers import ROOT, run_tool

PATHS = ['mmtnt', 'tools', 'tests', 'configs', 'setup.py']


@pytest.mark.parametrize(
    'linter', [
        ['-m', 'flake8'],
        ['-m', 'isort', '--check-only', '--diff'],
        ['-m', 'yapf', '--diff', '--recursive'],
    ],
    ids=['flake8', 'isort', 'yapf'])
def test_linter_passes(linter):
    proc = run_tool(linter + PATHS, check=False)
    assert proc.returncode == 0, (
        f'{" ".join(linter[1:2])} found problems; run `pre-commit run '
        f'--all-files` (or the linter) to fix them:\n'
        f'{proc.stdout[-4000:]}{proc.stderr[-2000:]}')


def test_no_file_of_the_source_tree_is_ignored_by_git():
    """A fresh clone (CI, a user) has what the tests read: nothing under the
    source folders is hidden by .gitignore but generated or cached files."""
    proc = subprocess.run(
        ['git', 'ls-files', '--others', '--ignored', '--exclude-standard'] +
        PATHS,
        cwd=ROOT,
        capture_output=True,
        text=True)
    if proc.returncode != 0:
        pytest.skip(f'not a git checkout: {proc.stderr.strip()}')
    generated = ('__pycache__', '.pyc', 'mmtnt/.mim/', '.egg-info')
    hidden = [
        path for path in proc.stdout.split()
        if not any(part in path for part in generated)
    ]
    assert not hidden, f'files git ignores, so a fresh clone lacks: {hidden}'
