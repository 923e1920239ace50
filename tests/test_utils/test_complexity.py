"""mmtnt.utils.complexity.count_flops (what get_flops.py prints) against the
paper's parameter and FLOP counts."""
import pytest
from mmengine.registry import MODELS, DefaultScope

from mmtnt.utils import load_config
from mmtnt.utils.complexity import count_flops
from tests.helpers import ROOT
from tests.helpers.hand_counts import trans2seg_head_params


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


def params_of(module):
    return sum(p.numel() for p in module.parameters())


def timm_tnt_s_params():
    """TNT-S's parameters in timm, without its classifier."""
    import timm
    return params_of(timm.create_model('tnt_s_patch16_224', num_classes=0))


def detector_params_by_parts(reference, neck):
    """TNT-S (timm's, without its classifier) + ``neck`` (counted by hand) +
    what mmdet's own R50 detector of ``reference`` has besides its backbone and
    neck (transformer, heads, queries)."""
    from mmengine.hub import get_config
    cfg = get_config(reference)
    with DefaultScope.overwrite_default_scope('mmdet'):
        ref = MODELS.build(cfg.model)
    rest = params_of(ref) - params_of(ref.backbone) - params_of(ref.neck)
    return (timm_tnt_s_params() + neck + rest) / 1e6


# TNTFeaturePyramid: DETR's 2x2 average pooling has no parameters; Faster
# R-CNN's 4x4 design has three 384->384 layers with 4x4 kernels.
DETR_NECK = 384 * 256 + 256  # ChannelMapper 384->256, 1x1 with bias
FASTER_NECK = (3 * (384 * 384 * 16 + 384) + 4 * (384 * 256 + 256) + 4 *
               (256 * 256 * 9 + 256))  # + FPN: 4 lateral 1x1, 4 3x3


@pytest.mark.parametrize('config,reference,neck,paper', [
    ('configs/detr/detr_tnt-s_8xb2-50e_coco.py',
     'mmdet::detr/detr_r50_8xb2-150e_coco.py', DETR_NECK, 39.0),
    ('configs/faster_rcnn/faster-rcnn_tnt-s_fpn_1x_coco.py',
     'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py', FASTER_NECK, 48.1),
])
def test_detector_params_match_paper(config, reference, neck, paper):
    # Params do not depend on the input size; a small one keeps the FLOP trace
    # quick.
    _, measured = count(config, (256, 384))
    assert measured == pytest.approx(
        detector_params_by_parts(reference, neck), abs=0.005)
    # DETR: 2M over the paper's 39M, which no count of TNT-S + mmdet's DETR
    # reproduces (docs/detection.md); Faster R-CNN: the paper's 48.1M.
    assert abs(measured - paper) < 2.1


@pytest.mark.parametrize('keep_unused,params', [(False, 30.22), (True, 32.26)])
def test_trans2seg_params(keep_unused, params):
    # Paper: 32.1M, counted with the original's decoder layers whose outputs
    # are discarded (docs/segmentation.md); mmtnt does not build those unless
    # asked to. Independently: timm's TNT-S without its classifier and the
    # head counted by hand.
    flops, measured = count(
        'configs/trans2seg/trans2seg_tnt-s_8xb2-40k_ade20k-512x512.py',
        (512, 512), **{'model.decode_head.keep_unused_layers': keep_unused})
    head, _ = trans2seg_head_params(keep_unused)
    assert measured == pytest.approx(
        (timm_tnt_s_params() + head) / 1e6, abs=0.005)
    assert measured == pytest.approx(params, abs=0.005)
    assert flops == pytest.approx(38.98, abs=0.05)
