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
from tests.helpers import photos
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
