"""The part of each mmtnt model that goes into an ONNX graph.

A classifier exports to logits; a detector or segmentor exports up to its
heads' raw outputs, and the toolbox's own post-processing (box decoding, NMS,
sliding-window resize) runs on them (:mod:`mmtnt.deploy.onnx_model`). A
two-stage detector is two graphs: the RPN's NMS sits between them.

:func:`graphs_of` names the graphs of a model with their example inputs and
dynamic axes; :func:`mmtnt.apis.export_onnx` writes them.
"""
from dataclasses import dataclass

import torch
from torch import nn
from torchvision.ops import roi_align

BATCH = 'batch'


def graph_path(path, suffix):
    """The file of the graph ``suffix`` beside ``path`` (``x.onnx`` ->
    ``x.roi_head.onnx``)."""
    stem = path[:-len('.onnx')] if path.endswith('.onnx') else path
    return stem + suffix + '.onnx'


class ClassifierGraph(nn.Module):
    """images (B, 3, H, W) -> logits (B, classes)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, images):
        return self.model(images, mode='tensor')


class SegmentorGraph(nn.Module):
    """images (B, 3, H, W) -> the decode head's logits (B, classes, h, w),
    before mmseg resizes them to the image."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, images):
        return self.model.decode_head(self.model.extract_feat(images))


def feature_padding_mask(valid_hw, image_hw, feat_hw):
    """(B, h, w) bool, True where a feature cell samples padding: mmdet DETR's
    mask (1 outside each image's valid (h, w), nearest-resized to the
    feature map), in integer arithmetic so that an exported graph keeps it.
    """
    (H, W), (h, w) = image_hw, feat_hw
    rows = torch.arange(h, device=valid_hw.device) * H // h
    cols = torch.arange(w, device=valid_hw.device) * W // w
    return ((rows[None, :, None] >= valid_hw[:, 0, None, None])
            | (cols[None, None, :] >= valid_hw[:, 1, None, None]))


class DETRGraph(nn.Module):
    """(images (B, 3, H, W), valid_hw (B, 2) int64: each image's size before
    padding) -> the last decoder layer's class logits (B, queries, classes+1)
    and boxes (B, queries, 4), as mmdet's ``DETR.forward_transformer`` and
    ``DETRHead.forward`` compute them, padding masked."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, images, valid_hw):
        det = self.model
        feat = det.extract_feat(images)[-1]
        B, C, h, w = feat.shape
        torch._check(h > 1)  # lets torch.export see that x[:, -1:] is 1 row
        torch._check(w > 1)
        masks = feature_padding_mask(valid_hw, images.shape[-2:], (h, w))
        pos = det.positional_encoding(masks)
        feat = feat.view(B, C, -1).permute(0, 2, 1)  # (B, h*w, C)
        pos = pos.view(B, C, -1).permute(0, 2, 1)
        masks = masks.view(B, -1)
        memory = det.forward_encoder(feat=feat, feat_mask=masks, feat_pos=pos)
        decoder_inputs, head_inputs = det.pre_decoder(**memory)
        head_inputs.update(
            det.forward_decoder(
                memory_mask=masks, memory_pos=pos, **decoder_inputs))
        cls_scores, bbox_preds = det.bbox_head(**head_inputs)
        return cls_scores[-1], bbox_preds[-1]


class RPNGraph(nn.Module):
    """Stage 1 of a two-stage detector: images -> the neck's feature maps,
    then the RPN head's class scores and box deltas per level."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, images):
        feats = self.model.extract_feat(images)
        cls_scores, bbox_preds = self.model.rpn_head(feats)
        return tuple(feats) + tuple(cls_scores) + tuple(bbox_preds)


class DenseHeadGraph(nn.Module):
    """A single-stage detector (RetinaNet, FCOS ...): images -> its dense
    head's outputs (class scores, box deltas, any others), each per level,
    flattened output by output."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, images):
        outputs = self.model.bbox_head(self.model.extract_feat(images))
        return tuple(level for output in outputs for level in output)


class RoIGraph(nn.Module):
    """Stage 2: (the RoI extractor's feature maps, rois (N, 5)) -> the box
    head's class scores (N, classes+1) and deltas (N, 4*classes).

    Every RoI is pooled at every level and the level mmdet's
    ``SingleRoIExtractor.map_roi_levels`` picks is kept: the same features
    without mmdet's data-dependent indexing, through torchvision's
    ``roi_align`` (ONNX RoiAlign) instead of mmcv's custom op.
    """

    def __init__(self, model):
        super().__init__()
        self.roi_head = model.roi_head
        self.num_levels = len(self.roi_head.bbox_roi_extractor.roi_layers)

    def forward(self, *feats_and_rois):
        *feats, rois = feats_and_rois
        extractor = self.roi_head.bbox_roi_extractor
        levels = extractor.map_roi_levels(rois, self.num_levels)
        pooled = 0
        for level, layer in enumerate(extractor.roi_layers):
            at_level = roi_align(feats[level], rois, layer.output_size,
                                 layer.spatial_scale, layer.sampling_ratio,
                                 layer.aligned)
            keep = (levels == level).to(at_level.dtype)[:, None, None, None]
            pooled = pooled + at_level * keep  # (N, C, 7, 7)
        return self.roi_head.bbox_head(pooled)


@dataclass
class Graph:
    """One graph to export: the module, example inputs, their names and
    dynamic axes ({input index: {axis: name}}), and output names (None:
    the exporter's)."""
    module: nn.Module
    inputs: tuple
    input_names: list
    output_names: list
    axes: dict


def _image_axes(dynamic_batch, dynamic_hw):
    axes = {0: BATCH} if dynamic_batch else {}
    if dynamic_hw:
        axes.update({2: 'height', 3: 'width'})
    return axes


def model_kind(model):
    """``'classifier'``, ``'detr'``, ``'single_stage'``, ``'two_stage'`` or
    ``'segmentor'``: how ``model`` exports; a ValueError for any other
    model."""
    from mmdet.models import DETR, SingleStageDetector, TwoStageDetector
    from mmpretrain.models import ImageClassifier
    from mmseg.models import EncoderDecoder
    if isinstance(model, ImageClassifier):
        return 'classifier'
    if isinstance(model, EncoderDecoder):
        return 'segmentor'
    if type(model) is DETR:
        return 'detr'
    if isinstance(model, TwoStageDetector) and not model.roi_head.with_mask:
        return 'two_stage'
    if isinstance(model, SingleStageDetector):
        return 'single_stage'
    raise ValueError(
        f'export_onnx: {type(model).__name__} is not supported; mmtnt exports mmpretrain ImageClassifier, mmdet DETR, mmdet single-stage detectors (RetinaNet), mmdet two-stage detectors without a mask head (Faster R-CNN) and mmseg EncoderDecoder (docs/deployment.md).'  # noqa: E501
    )


def valid_sizes(images):
    """(B, 2) int64 example sizes before padding: the whole image for the
    first, 32 rows and columns less for each next one (masks exercised)."""
    H, W = images.shape[-2:]
    shrink = 32 * torch.arange(images.shape[0])[:, None]
    return (torch.tensor([[H, W]]) - shrink).clamp(min=32)


def example_rois(images, count=37, seed=0):
    """(count, 5) RoIs (image index, x1, y1, x2, y2) inside ``images``."""
    gen = torch.Generator().manual_seed(seed)
    H, W = images.shape[-2:]
    scale = torch.tensor([W, H, W, H], dtype=torch.float32)
    corners = torch.rand(count, 4, generator=gen) * scale
    boxes = torch.cat((torch.minimum(corners[:, :2], corners[:, 2:]),
                       torch.maximum(corners[:, :2], corners[:, 2:]) + 8), 1)
    index = torch.randint(0, images.shape[0], (count, 1), generator=gen)
    return torch.cat((index.float(), boxes), 1)


def graphs_of(model, images, dynamic_batch=True, dynamic_hw=False):
    """The graphs ``model`` exports to, as ``{suffix: Graph}``, traced on
    ``images`` (B, 3, H, W): suffix ``''`` is the file asked for; a two-stage
    detector adds ``'.roi_head'``, its second stage."""
    kind = model_kind(model)
    image_axes = _image_axes(dynamic_batch, dynamic_hw)
    batch_axes = {0: BATCH} if dynamic_batch else {}
    if kind == 'two_stage':
        return _two_stage_graphs(model, images, image_axes, batch_axes)
    if kind == 'detr':
        graph = Graph(
            DETRGraph(model), (images, valid_sizes(images)),
            ['images', 'valid_hw'], ['cls_scores', 'bbox_preds'], {
                0: image_axes,
                1: batch_axes
            })
    elif kind == 'single_stage':
        graph = Graph(
            DenseHeadGraph(model), (images, ), ['images'], None,
            {0: image_axes})
    elif kind == 'segmentor':
        graph = Graph(
            SegmentorGraph(model), (images, ), ['images'], ['seg_logits'],
            {0: image_axes})
    else:
        graph = Graph(
            ClassifierGraph(model), (images, ), ['images'], ['logits'],
            {0: image_axes})
    return {'': graph}


def _two_stage_graphs(model, images, image_axes, batch_axes):
    rpn, roi = RPNGraph(model), RoIGraph(model)
    with torch.no_grad():
        outputs = rpn(images)
    levels = len(outputs) // 3
    names = [
        f'{kind}{i}' for kind in ('feat', 'rpn_cls', 'rpn_bbox')
        for i in range(levels)
    ]
    feat_axes = dict(batch_axes)
    if 2 in image_axes:
        feat_axes.update({2: 'height', 3: 'width'})
    roi_inputs = tuple(outputs[:roi.num_levels]) + (example_rois(images), )
    roi_axes = {i: feat_axes for i in range(roi.num_levels)}
    roi_axes[roi.num_levels] = {0: 'rois'}
    return {
        '':
        Graph(rpn, (images, ), ['images'], names, {0: image_axes}),
        '.roi_head':
        Graph(roi, roi_inputs, names[:roi.num_levels] + ['rois'],
              ['cls_score', 'bbox_pred'], roi_axes),
    }
