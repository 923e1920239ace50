"""The feature maps of mmtnt's backbones and two-stage detectors are
contiguous: mmcv's RoIAlign reads a channels-last map (what a transpose of the
tokens gives) as if it were contiguous and pools the wrong values, with no
error (open-mmlab/mmcv#2203)."""
import os.path as osp

import pytest
import torch
from mmcv.ops import RoIAlign
from torchvision.ops import roi_align

from mmtnt.apis import get_model
from mmtnt.utils import load_config
from tests.helpers import ROOT


def test_mmcv_roi_align_is_wrong_on_a_channels_last_map():
    """Why the test below matters: the op disagrees with torchvision's on
    the same values laid out channels-last."""
    torch.manual_seed(0)
    feats = torch.randn(1, 8, 20, 24)
    rois = torch.tensor([[0., 8., 8., 60., 50.]])
    layer = RoIAlign((7, 7), 0.25, 0, 'avg', True)
    reference = roi_align(feats, rois, (7, 7), 0.25, 0, True)
    torch.testing.assert_close(layer(feats, rois), reference)
    channels_last = feats.to(memory_format=torch.channels_last)
    assert not torch.allclose(layer(channels_last, rois), reference)


@pytest.mark.parametrize('config', [
    'faster_rcnn/faster-rcnn_tnt-s_fpn_1x_coco.py',
    'pyramid_tnt/mask-rcnn_pyramid-tnt-s_fpn_1x_coco.py'
])
def test_backbone_and_roi_extractor_inputs_are_contiguous(config):
    cfg = load_config(osp.join(ROOT, 'configs', config))
    cfg.model.backbone.init_cfg = None
    model = get_model(cfg).eval()
    images = torch.randn(1, 3, 128, 160)
    with torch.no_grad():
        backbone_maps = model.backbone(images)
        feats = model.extract_feat(images)
    assert all(m.is_contiguous() for m in backbone_maps)
    assert all(f.is_contiguous() for f in feats)
