import pytest
import torch

from mmtnt.models import PyramidTNT
from mmtnt.models.necks import PyramidUpsample


def test_each_stage_doubles_in_size_and_keeps_its_channels():
    backbone = PyramidTNT(
        arch='ti', out_indices=(0, 1, 2, 3), out_type='featmap').eval()
    neck = PyramidUpsample(in_channels=[80, 160, 320, 320]).eval()
    with torch.no_grad():
        feats = backbone(torch.randn(1, 3, 256, 320))
        outs = neck(feats)
    for feat, out in zip(feats, outs):
        assert out.shape == (1, feat.shape[1], 2 * feat.shape[2],
                             2 * feat.shape[3])
    # strides 8..64 become 4..32
    assert [256 // o.shape[2] for o in outs] == [4, 8, 16, 32]


def test_a_stage_count_that_does_not_match_is_refused():
    neck = PyramidUpsample(in_channels=[8, 16])
    with pytest.raises(ValueError, match='got 1 feature maps'):
        neck((torch.randn(1, 8, 4, 4), ))
