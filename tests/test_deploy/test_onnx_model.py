"""OnnxModel: the toolbox's post-processing around an onnxruntime graph gives
the torch model's predictions (here a single-stage detector, mmdet's RetinaNet
R-18, random weights: the path no mmtnt config test exports)."""
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

RETINANET = osp.join(
    osp.dirname(mmdet.__file__), '.mim/configs/retinanet/'
    'retinanet_r18_fpn_1x_coco.py')


@pytest.fixture(scope='module')
def retinanet():
    cfg = Config.fromfile(RETINANET)
    cfg.model.backbone.init_cfg = None
    cfg.model.test_cfg.score_thr = 0.  # random weights score below 0.05
    torch.manual_seed(0)
    model = get_model(cfg)
    model.init_weights()
    return model.eval()


def samples(images):
    hw = tuple(images.shape[-2:])
    meta = dict(
        img_shape=hw, ori_shape=hw, batch_input_shape=hw, scale_factor=(1, 1))
    return [DetDataSample(metainfo=meta) for _ in images]


def test_single_stage_detector_predicts_as_in_torch(retinanet, tmp_path):
    path = export_onnx(
        retinanet,
        str(tmp_path / 'retinanet.onnx'),
        img_size=(256, 320),
        dynamic_hw=True)
    onnx_model = OnnxModel(retinanet, path)
    images = photos((288, 352))[:2]  # not the traced size
    with torch.no_grad():
        expected = retinanet.predict(images, samples(images))
    got = onnx_model(images, samples(images), mode='predict')
    for ours, theirs in zip(got, expected):
        ours, theirs = ours.pred_instances, theirs.pred_instances
        assert len(theirs) > 0 and len(ours) == len(theirs)
        assert np.allclose(
            np.sort(ours.scores.numpy()),
            np.sort(theirs.scores.numpy()),
            atol=1e-5)
        assert unordered_difference(ours.bboxes.numpy(),
                                    theirs.bboxes.numpy()) < 1e-2


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
