import pytest
from conftest import run_tool


@pytest.mark.parametrize('name,gflops,params', [('ti', 1.4, 6.1), ('s', 5.2, 23.8), ('b', 14.1, 65.6)])
def test_flops_match_paper_table1(name, gflops, params):
    proc = run_tool(['tools/analysis_tools/get_flops.py', f'configs/tnt/tnt-{name}_16xb64_in1k.py'])
    values = dict(line.split(': ', 1) for line in proc.stdout.splitlines() if ': ' in line)
    assert abs(float(values['flops'].split()[0]) - gflops) <= 0.1
    assert abs(float(values['params'].split()[0]) - params) < 0.2


@pytest.mark.parametrize('config,params,paper', [
    ('configs/detr/detr_tnt-s_8xb2-50e_coco.py', 41.02, 39.0),
    ('configs/faster_rcnn/faster-rcnn_tnt-s_fpn_1x_coco.py', 48.12, 48.1),
])
def test_detector_params_match_paper(config, params, paper):
    # Params do not depend on the input size; a small one keeps the FLOP trace quick.
    proc = run_tool(['tools/analysis_tools/get_flops.py', config, '--shape', '256', '384'])
    values = dict(line.split(': ', 1) for line in proc.stdout.splitlines() if ': ' in line)
    measured = float(values['params'].split()[0])
    assert measured == pytest.approx(params, abs=0.005)
    # DETR: 2M over the paper's 39M, which no count of TNT-S + mmdet's DETR reproduces
    # (docs/detection.md); Faster R-CNN: the paper's 48.1M.
    assert abs(measured - paper) < 2.1


@pytest.mark.parametrize('keep_unused,params', [(False, 30.22), (True, 32.26)])
def test_trans2seg_params(keep_unused, params):
    # Paper: 32.1M, counted with the original's decoder layers whose outputs are discarded
    # (docs/segmentation.md); mmtnt does not build those unless asked to.
    proc = run_tool(['tools/analysis_tools/get_flops.py',
                     'configs/trans2seg/trans2seg_tnt-s_8xb2-40k_ade20k-512x512.py',
                     '--shape', '512', '512', '--cfg-options',
                     f'model.decode_head.keep_unused_layers={keep_unused}'])
    values = dict(line.split(': ', 1) for line in proc.stdout.splitlines() if ': ' in line)
    assert float(values['params'].split()[0]) == pytest.approx(params, abs=0.005)
    assert float(values['flops'].split()[0]) == pytest.approx(38.98, abs=0.05)
