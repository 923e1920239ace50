import pytest
from conftest import run_tool


@pytest.mark.parametrize('name,gflops,params', [('ti', 1.4, 6.1), ('s', 5.2, 23.8), ('b', 14.1, 65.6)])
def test_flops_match_paper_table1(name, gflops, params):
    proc = run_tool(['tools/analysis_tools/get_flops.py', f'configs/tnt/tnt-{name}_16xb64_in1k.py'])
    values = dict(line.split(': ', 1) for line in proc.stdout.splitlines() if ': ' in line)
    assert abs(float(values['flops'].split()[0]) - gflops) <= 0.1
    assert abs(float(values['params'].split()[0]) - params) < 0.2
