"""OnnxModel: the toolbox's post-processing around an onnxruntime graph gives
the torch model's predictions: mmdet's RetinaNet R-18 (single stage, the path
no mmtnt config exports), Faster R-CNN R-18 (two graphs) and DETR R-18
(per-image padding), random weights, exported in seconds; the TNT detectors
take the same paths in the slow tests."""
import copy
import os.path as osp

import mmdet
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config

from mmtnt.apis import export_onnx, get_model
from mmtnt.deploy import OnnxModel
from tests.helpers import DIGITS_CONFIG, ROOT, photos
from tests.helpers.onnx_checks import unordered_difference

MMDET_CONFIGS = osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs')
RETINANET = osp.join(MMDET_CONFIGS, 'retinanet',
                     'retinanet_r18_fpn_1x_coco.py')
FASTER_RCNN = osp.join(MMDET_CONFIGS, 'faster_rcnn',
                       'faster-rcnn_r50_fpn_1x_coco.py')
DETR = osp.join(MMDET_CONFIGS, 'detr', 'detr_r18_8xb2-500e_coco.py')


@pytest.fixture(scope='module')
def retinanet():
    cfg = Config.fromfile(RETINANET)
    cfg.model.backbone.init_cfg = None
    cfg.model.test_cfg.score_thr = 0.  # random weights score below 0.05
    return random_detector(cfg)


def samples(images, valid_hw=None, scale=1.):
    """One DetDataSample per image; ``valid_hw``: each image's size inside
    the padded batch (default: all of it); ``scale``: the resize from the
    original photograph."""
    hw = tuple(images.shape[-2:])
    return [
        DetDataSample(
            metainfo=dict(
                img_shape=size,
                ori_shape=tuple(round(side / scale) for side in size),
                batch_input_shape=hw,
                scale_factor=(scale, scale)))
        for size in valid_hw or [hw] * len(images)
    ]


def same_detections(got, expected):
    """Equal detections, whatever their order (the boxes to 1e-2 px)."""
    for ours, theirs in zip(got, expected):
        ours, theirs = ours.pred_instances, theirs.pred_instances
        assert len(theirs) > 0 and len(ours) == len(theirs)
        assert np.allclose(
            np.sort(ours.scores.numpy()),
            np.sort(theirs.scores.numpy()),
            atol=1e-5)
        assert unordered_difference(ours.bboxes.numpy(),
                                    theirs.bboxes.numpy()) < 1e-2


def random_detector(cfg):
    torch.manual_seed(0)
    model = get_model(cfg)
    model.init_weights()
    return model.eval()


def predicts_as_in_torch(model, tmp_path, images, data_samples):
    """Export ``model`` traced at 256 x 320 with a dynamic size, run
    ``images`` (another size) through OnnxModel and through the model, and
    compare the detections."""
    path = export_onnx(
        model,
        str(tmp_path / 'detector.onnx'),
        img_size=(256, 320),
        dynamic_hw=True)
    with torch.no_grad():  # each fills in the samples it is given
        expected = model.predict(images, copy.deepcopy(data_samples))
    got = OnnxModel(model, path)(images, data_samples, mode='predict')
    same_detections(got, expected)


def test_single_stage_detector_predicts_as_in_torch(retinanet, tmp_path):
    images = photos((288, 352))[:2]
    predicts_as_in_torch(retinanet, tmp_path, images, samples(images))


def test_two_stage_detector_predicts_as_in_torch(tmp_path):
    """Both graphs (backbone + RPN, box head on the proposals) with mmdet's
    RPN post-processing and ``predict_bbox`` between and after them; the
    images resized by 0.8, so boxes are rescaled once, at the end."""
    cfg = Config.fromfile(FASTER_RCNN)
    cfg.model.backbone.update(depth=18, init_cfg=None)
    cfg.model.neck.in_channels = [64, 128, 256, 512]
    cfg.model.test_cfg.rcnn.score_thr = 0.
    # Contiguous: mmcv's RoIAlign in the torch model reads a channels-last
    # feature map as if it were not (open-mmlab/mmcv#2203).
    images = photos((288, 352))[:2].contiguous()
    predicts_as_in_torch(
        random_detector(cfg), tmp_path, images, samples(images, scale=0.8))


def test_detr_predicts_as_in_torch_with_padded_images(tmp_path):
    """The second image fills only part of the batch: its padding mask comes
    from its ``img_shape`` in the graph as in mmdet's DETR."""
    cfg = Config.fromfile(DETR)
    cfg.model.backbone.init_cfg = None
    images = photos((288, 352))[:2]
    valid_hw = [(288, 352), (224, 300)]
    predicts_as_in_torch(
        random_detector(cfg), tmp_path, images, samples(images, valid_hw))


def test_classifier_predicts_as_in_torch_and_refuses_training(tmp_path):
    """The main job's mini TNT: scores, labels and class names of the ONNX
    model equal the torch model's; a missing file and mode='loss' are
    named."""
    torch.manual_seed(0)
    model = get_model(osp.join(ROOT, DIGITS_CONFIG))
    model.init_weights()
    model.eval()
    path = export_onnx(model, str(tmp_path / 'mini.onnx'), img_size=(16, 16))
    onnx_model = OnnxModel(model, path)
    assert onnx_model.dataset_meta['classes'][:2] == ('zero', 'one')
    images = photos(16)
    with torch.no_grad():
        expected = model.predict(images)
    got = onnx_model(images, mode='predict')
    for ours, theirs in zip(got, expected):
        torch.testing.assert_close(
            ours.pred_score, theirs.pred_score, atol=1e-5, rtol=0)
        assert ours.pred_label.tolist() == theirs.pred_label.tolist()
    logits = onnx_model(images, mode='tensor')[0]
    assert logits.shape == (3, 10)
    with pytest.raises(ValueError, match="got 'loss'"):
        onnx_model(images, mode='loss')
    with pytest.raises(FileNotFoundError, match='nothing.onnx does not exist'):
        OnnxModel(model, str(tmp_path / 'nothing.onnx'))


def test_single_stage_graph_spec(retinanet):
    """One input named images; the outputs are named by the exporter (their
    number follows the head: classes and boxes at five levels)."""
    from mmtnt.deploy.graphs import graphs_of, model_kind
    images = photos((128, 160))[:1]
    graph = graphs_of(retinanet, images, dynamic_hw=True)['']
    assert model_kind(retinanet) == 'single_stage'
    assert (graph.input_names, graph.output_names) == (['images'], None)
    assert graph.axes == {0: {0: 'batch', 2: 'height', 3: 'width'}}
    with torch.no_grad():
        outputs = graph.module(images)
        cls_scores, bbox_preds = retinanet(images, mode='tensor')
    assert len(outputs) == 10
    for got, expected in zip(outputs, list(cls_scores) + list(bbox_preds)):
        torch.testing.assert_close(got, expected)
