"""The code keeps OpenMMLab's style: flake8, isort and yapf with the settings
in setup.cfg (the same hooks as .pre-commit-config.yaml)."""
import pytest

from tests.helpers import run_tool

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
