"""tools/analysis_tools/get_flops.py prints the paper's TNT-S figures (the
other models are counted in-process: tests/test_utils/test_complexity.py)."""
import pytest

from tests.helpers import run_tool

pytestmark = pytest.mark.slow


def test_flops_match_paper_table1_tnt_s():
    proc = run_tool([
        'tools/analysis_tools/get_flops.py', 'configs/tnt/tnt-s_16xb64_in1k.py'
    ])
    values = dict(
        line.split(': ', 1) for line in proc.stdout.splitlines()
        if ': ' in line)
    assert abs(float(values['flops'].split()[0]) - 5.2) <= 0.1
    assert abs(float(values['params'].split()[0]) - 23.8) < 0.2
    assert 'input shape: (3, 224, 224)' in proc.stdout
