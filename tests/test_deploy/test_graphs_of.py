"""mmtnt.deploy.graphs_of run eagerly: each task's graph gives what the
toolbox's own forward gives, under the names and dynamic axes the exporter
is handed (the ONNX files themselves: tests/test_apis/test_export.py)."""
import os.path as osp

import pytest
import torch
from mmdet.structures import DetDataSample
from mmseg.structures import SegDataSample

from mmtnt.apis import get_model
from mmtnt.deploy.graphs import (example_rois, graph_path, graphs_of,
                                 model_kind, valid_sizes)
from tests.helpers import (DETR_CONFIG, DIGITS_CONFIG, FASTER_RCNN_CONFIG,
                           ROOT, photos)

TRANS2SEG = 'configs/trans2seg/trans2seg_tnt-s_8xb2-40k_ade20k-512x512.py'


def build(config, **backbone):
    torch.manual_seed(0)
    model = get_model(
        osp.join(ROOT, config), backbone=dict(init_cfg=None, **backbone))
    model.init_weights()
    return model.eval()


def det_samples(images, valid):
    hw = tuple(images.shape[-2:])
    return [
        DetDataSample(
            metainfo=dict(
                img_shape=tuple(v),
                ori_shape=tuple(v),
                batch_input_shape=hw,
                pad_shape=hw,
                scale_factor=(1., 1.))) for v in valid.tolist()
    ]


def test_classifier_graph_gives_the_logits_of_mmpretrains_scores():
    model = build(DIGITS_CONFIG)
    images = photos(16)
    graphs = graphs_of(model, images)
    assert list(graphs) == ['']
    graph = graphs['']
    assert (graph.input_names, graph.output_names) == (['images'], ['logits'])
    assert graph.axes == {0: {0: 'batch'}}
    with torch.no_grad():
        logits = graph.module(*graph.inputs)
        scores = [s.pred_score for s in model.predict(images)]
    torch.testing.assert_close(logits.softmax(-1), torch.stack(scores))
    assert graphs_of(
        model, images, dynamic_hw=True)[''].axes == {
            0: {
                0: 'batch',
                2: 'height',
                3: 'width'
            }
        }
    assert graphs_of(model, images, dynamic_batch=False)[''].axes == {0: {}}


def test_segmentor_graph_gives_the_decode_heads_logits():
    model = build(TRANS2SEG)
    images = photos((64, 96))[:1]
    graph = graphs_of(model, images)['']
    assert model_kind(model) == 'segmentor'
    assert graph.output_names == ['seg_logits']
    with torch.no_grad():
        got = graph.module(*graph.inputs)
        expected = model(images, [SegDataSample()], mode='tensor')
    assert got.shape[:2] == (1, 150)
    torch.testing.assert_close(got, expected)


def test_detr_graph_gives_mmdets_last_layer_with_each_images_padding():
    model = build(DETR_CONFIG)
    images = photos((128, 160))[:2]
    graph = graphs_of(model, images)['']
    assert graph.input_names == ['images', 'valid_hw']
    assert graph.output_names == ['cls_scores', 'bbox_preds']
    assert graph.axes == {0: {0: 'batch'}, 1: {0: 'batch'}}
    valid = graph.inputs[1]
    assert valid.tolist() == [[128, 160], [96, 128]]  # the second is padded
    with torch.no_grad():
        cls_scores, boxes = graph.module(*graph.inputs)
        all_cls, all_boxes = model(
            images, det_samples(images, valid), mode='tensor')
    torch.testing.assert_close(cls_scores, all_cls[-1])
    torch.testing.assert_close(boxes, all_boxes[-1])


def test_two_stage_graphs_give_mmdets_rpn_and_box_head_outputs():
    model = build(FASTER_RCNN_CONFIG)
    images = photos((128, 160))[:1]
    graphs = graphs_of(model, images, dynamic_hw=True)
    assert model_kind(model) == 'two_stage' and list(graphs) == [
        '', '.roi_head'
    ]
    rpn, roi = graphs[''], graphs['.roi_head']
    assert rpn.output_names == [f'feat{i}' for i in range(5)] + [
        f'rpn_cls{i}' for i in range(5)
    ] + [f'rpn_bbox{i}' for i in range(5)]
    with torch.no_grad():
        outputs = rpn.module(images)
        feats = model.extract_feat(images)
        cls_scores, bbox_preds = model.rpn_head(feats)
        for got, expected in zip(outputs,
                                 list(feats) + cls_scores + bbox_preds):
            torch.testing.assert_close(got, expected)
        # stage 2: the four levels the RoI extractor reads, and RoIs
        assert roi.input_names == ['feat0', 'feat1', 'feat2', 'feat3', 'rois']
        assert roi.axes[0] == {0: 'batch', 2: 'height', 3: 'width'}
        assert roi.axes[4] == {0: 'rois'}
        rois = roi.inputs[-1]
        cls_score, bbox_pred = roi.module(*roi.inputs)
        expected = model.roi_head._bbox_forward(feats, rois)
    assert roi.output_names == ['cls_score', 'bbox_pred']
    torch.testing.assert_close(cls_score, expected['cls_score'])
    torch.testing.assert_close(bbox_pred, expected['bbox_pred'])


def test_example_sizes_and_rois_lie_inside_the_images():
    images = torch.zeros(3, 3, 96, 64)
    assert valid_sizes(images).tolist() == [[96, 64], [64, 32], [32, 32]]
    rois = example_rois(images, count=50, seed=3)
    assert rois.shape == (50, 5) and rois.dtype == torch.float32
    assert set(rois[:, 0].tolist()) == {0., 1., 2.}
    assert (rois[:, 3] > rois[:, 1]).all() and (rois[:, 4] > rois[:, 2]).all()
    assert rois[:, 1:].min() >= 0 and rois[:, 3].max() <= 64 + 8
    assert rois[:, 4].max() <= 96 + 8 and rois[:, 4].max() > 64 + 8
    assert torch.equal(rois, example_rois(images, count=50, seed=3))
    assert not torch.equal(rois, example_rois(images, count=50, seed=4))


def test_graph_files_sit_beside_the_file_asked_for():
    assert graph_path('out/x.onnx', '') == 'out/x.onnx'
    assert graph_path('out/x.onnx', '.roi_head') == 'out/x.roi_head.onnx'
    assert graph_path('out/x', '.roi_head') == 'out/x.roi_head.onnx'


def test_a_model_that_does_not_export_is_named():
    with pytest.raises(ValueError, match='export_onnx: Linear is not'):
        model_kind(torch.nn.Linear(2, 2))
