"""mmtnt.utils.complexity.count_flops (what get_flops.py prints) against the
paper's parameter and FLOP counts."""
import pytest
from mmengine.registry import MODELS, DefaultScope

from mmtnt.utils import load_config
from mmtnt.utils.complexity import count_flops
from tests.helpers import ROOT


def count(config, shape, **options):
    cfg = load_config(f'{ROOT}/{config}', options)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    flops, params = count_flops(model, shape, cfg.default_scope)
    return flops / 1e9, params / 1e6


@pytest.mark.parametrize('name,gflops,params', [('ti', 1.4, 6.1),
                                                ('b', 14.1, 65.6)])
def test_flops_match_paper_table1(name, gflops, params):
    flops, measured = count(f'configs/tnt/tnt-{name}_16xb64_in1k.py',
                            (224, 224))
    assert abs(flops - gflops) <= 0.1
    assert abs(measured - params) < 0.2


@pytest.mark.parametrize('config,params,paper', [
    ('configs/detr/detr_tnt-s_8xb2-50e_coco.py', 41.02, 39.0),
    ('configs/faster_rcnn/faster-rcnn_tnt-s_fpn_1x_coco.py', 48.12, 48.1),
])
def test_detector_params_match_paper(config, params, paper):
    # Params do not depend on the input size; a small one keeps the FLOP trace
    # quick.
    _, measured = count(config, (256, 384))
    assert measured == pytest.approx(params, abs=0.005)
    # DETR: 2M over the paper's 39M, which no count of TNT-S + mmdet's DETR
    # reproduces (docs/detection.md); Faster R-CNN: the paper's 48.1M.
    assert abs(measured - paper) < 2.1


@pytest.mark.parametrize('keep_unused,params', [(False, 30.22), (True, 32.26)])
def test_trans2seg_params(keep_unused, params):
    # Paper: 32.1M, counted with the original's decoder layers whose outputs
    # are discarded (docs/segmentation.md); mmtnt does not build those unless
    # asked to.
    flops, measured = count(
        'configs/trans2seg/trans2seg_tnt-s_8xb2-40k_ade20k-512x512.py',
        (512, 512), **{'model.decode_head.keep_unused_layers': keep_unused})
    assert measured == pytest.approx(params, abs=0.005)
    assert flops == pytest.approx(38.98, abs=0.05)
