"""The steps mmtnt.deploy.graphs writes in place of mmdet's: the same values
as mmdet's own code, in operations an exported graph keeps."""
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor

from mmtnt.deploy.graphs import RoIGraph, example_rois, feature_padding_mask


def test_padding_mask_is_mmdets_nearest_resized_image_mask():
    valid = torch.tensor([[320, 416], [288, 403], [97, 160]])
    image_hw, feat_hw = (320, 416), (10, 13)
    # mmdet's DETR.pre_transformer: 1 outside each image, nearest-resized
    masks = torch.ones(3, *image_hw)
    for i, (h, w) in enumerate(valid.tolist()):
        masks[i, :h, :w] = 0
    expected = F.interpolate(masks[:, None], size=feat_hw).bool()[:, 0]
    got = feature_padding_mask(valid, image_hw, feat_hw)
    assert torch.equal(got, expected)
    assert got[0].sum() == 0 and got[2].any()


def test_roi_graph_pools_as_mmdets_extractor():
    torch.manual_seed(0)
    extractor = SingleRoIExtractor(
        roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
        out_channels=8,
        featmap_strides=[4, 8, 16, 32])
    images = torch.zeros(2, 3, 256, 320)
    feats = [torch.randn(2, 8, 64 // 2**i, 80 // 2**i) for i in range(4)]
    rois = example_rois(images, count=60)
    head = SimpleNamespace(
        bbox_roi_extractor=extractor, bbox_head=torch.nn.Identity())
    graph = RoIGraph(SimpleNamespace(roi_head=head))
    expected = extractor(tuple(feats), rois)
    levels = extractor.map_roi_levels(rois, 4)
    assert len(set(levels.tolist())) > 1  # RoIs of several levels
    assert torch.allclose(graph(*feats, rois), expected, atol=1e-6)
