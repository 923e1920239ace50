"""tools/analysis_tools/analyze_logs.py draws the main job's curves with
mmpretrain's plotter.
"""
import pytest

from tests.helpers import run_tool

pytestmark = pytest.mark.slow  # end-to-end runs of the tools


def test_curves_of_a_work_dir(digits_trained, tmp_path):
    work, _ = digits_trained
    out = tmp_path / 'curves'
    proc = run_tool([
        'tools/analysis_tools/analyze_logs.py', work, work, '--out-dir',
        str(out), '--legend', 'a', 'b'
    ])
    assert 'wrote 2 curves' in proc.stdout
    import matplotlib.pyplot as plt
    for name in ('loss.png', 'accuracy_top1.png'):
        img = plt.imread(str(out / name))
        assert img.shape[:2] == (500, 800
                                 )  # mmpretrain's 8x5 inch window at 100 dpi
        assert img.std() > 0.01  # not blank


def test_missing_logs_are_named(tmp_path):
    with pytest.raises(
            AssertionError, match='no \\*/vis_data/scalars.json under'):
        run_tool([
            'tools/analysis_tools/analyze_logs.py',
            str(tmp_path), '--out-dir',
            str(tmp_path / 'o')
        ])
