"""DETR and Faster R-CNN + FPN with TNT-S through tools/train.py,
tools/test.py, dist_train.sh and tools/infer.py, on COCO-format data made from
real photographs, scored by mmdet's CocoMetric.

The real configs are used through small child configs
(helpers.small_detection_config): the images are resized to 448x288 instead of
1333x800 so that a few iterations fit a 2-core CPU.
"""
import glob
import json
import math
import os
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tests.helpers import (DETR_CONFIG, FASTER_RCNN_CONFIG, ROOT, run_tool,
                           scalars, small_detection_config)
from tests.helpers.onnx_checks import (deploy_and_compare,
                                       largest_prediction_difference,
                                       printed_test_metrics)
from tests.helpers.oracles import oracle_config

pytestmark = pytest.mark.slow  # end-to-end runs of the tools

AP_FIELDS = [
    'coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/bbox_mAP_75', 'coco/bbox_mAP_s',
    'coco/bbox_mAP_m', 'coco/bbox_mAP_l'
]


@pytest.fixture(scope='module')
def coco_root(coco_photos):
    return coco_photos


def epoch_losses(records, iters_per_epoch):
    losses = [r['loss'] for r in records if 'loss' in r]
    assert losses and all(math.isfinite(v) for v in losses), losses
    return [
        sum(losses[i:i + iters_per_epoch]) / iters_per_epoch
        for i in range(0, len(losses), iters_per_epoch)
    ]


@pytest.mark.parametrize(
    'config', [DETR_CONFIG, FASTER_RCNN_CONFIG], ids=['detr', 'faster_rcnn'])
def test_train_then_test_with_coco_metric(config, coco_root, tmp_path):
    # After 6 iterations from scratch no R-CNN box scores 0.05 yet, and
    # CocoMetric reports nothing for an empty result; keep every box so that
    # the metric has something to score.
    extra = ''
    if 'rcnn' in config:
        extra = "model['test_cfg'] = dict(rcnn=dict(score_thr=0.0))"
    cfg = small_detection_config(
        tmp_path, config, coco_root, max_epochs=3, extra=extra)
    work_dir = str(tmp_path / 'work')
    # Evaluated once, by tools/test.py below.
    run_tool([
        'tools/train.py', cfg, '--work-dir', work_dir, '--cfg-options',
        'train_cfg.val_interval=10'
    ])
    records = scalars(work_dir)
    per_epoch = epoch_losses(
        records, iters_per_epoch=2)  # 4 images, 2 per batch
    assert len(per_epoch) == 3 and per_epoch[-1] < per_epoch[0], per_epoch

    ckpt = osp.join(work_dir, 'epoch_3.pth')
    show_dir = 'shown'
    dumped = osp.join(work_dir, 'predictions.pkl')
    proc = run_tool([
        'tools/test.py', cfg, ckpt, '--work-dir', work_dir, '--show-dir',
        show_dir, '--out', dumped
    ])
    for key in AP_FIELDS:
        assert key in proc.stdout + proc.stderr
    drawn = glob.glob(osp.join(work_dir, '*', show_dir, '*.jpg'))
    assert len(
        drawn
    ) == 4, drawn  # every val image, boxes drawn by DetLocalVisualizer

    # Deployed: the same weights in onnxruntime score as in torch.
    diffs, onnx_metrics, onnx_dumped = deploy_and_compare(
        cfg, ckpt, work_dir, ('256', '320'), ((288, 448), (320, 384)))
    assert max(diffs) < 1e-4, diffs
    # every box, score and label of every image (boxes in pixels)
    assert largest_prediction_difference(dumped, onnx_dumped) < 1e-2
    torch_metrics = printed_test_metrics(proc.stdout + proc.stderr)
    for key in AP_FIELDS:
        assert onnx_metrics[key] == pytest.approx(
            torch_metrics[key], abs=1e-3), (key, onnx_metrics, torch_metrics)


def test_dist_train_two_processes(coco_root, tmp_path):
    cfg = small_detection_config(
        tmp_path, DETR_CONFIG, coco_root, max_epochs=1)
    work_dir = str(tmp_path / 'work')
    env = dict(
        os.environ, PYTHON=sys.executable, PORT='29517', PYTHONPATH=ROOT)
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', cfg, '2', '--work-dir', work_dir],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = proc.stdout + proc.stderr
    assert '[rank 0/2]' in out and '[rank 1/2]' in out
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))
    assert any('coco/bbox_mAP' in r for r in scalars(work_dir))


def test_infer_draws_boxes(coco_root, tmp_path):
    cfg = small_detection_config(
        tmp_path, DETR_CONFIG, coco_root, max_epochs=1)
    work_dir = str(tmp_path / 'work')
    run_tool([
        'tools/train.py', cfg, '--work-dir', work_dir, '--cfg-options',
        'train_cfg.val_interval=10'
    ])
    image = sorted(glob.glob(osp.join(coco_root, 'val2017', '*.jpg')))[0]
    out_dir = str(tmp_path / 'pictures')
    proc = run_tool([
        'tools/infer.py', cfg,
        osp.join(work_dir, 'epoch_1.pth'), image, '--out-dir', out_dir,
        '--score-thr', '0'
    ])
    with open(osp.join(out_dir, 'preds',
                       osp.basename(image)[:-4] + '.json')) as f:
        pred = json.load(f)
    assert f'{len(pred["scores"])} boxes with score >= 0.0' in proc.stdout
    drawn = np.asarray(
        Image.open(osp.join(out_dir, 'vis', osp.basename(image))), float)
    original = np.asarray(Image.open(image).convert('RGB'), float)
    assert drawn.shape == original.shape
    # The best box is drawn where it is reported: its outline differs from the
    # photograph (a few pixels wide; JPEG noise elsewhere is small).
    best = int(np.argmax(pred['scores']))
    h, w = original.shape[:2]
    x1, y1, x2, y2 = (int(round(v)) for v in pred['bboxes'][best])
    x1, x2 = np.clip([x1, x2], 1, w - 2)
    y1, y2 = np.clip([y1, y2], 1, h - 2)
    edge = np.concatenate(
        [np.abs(drawn - original)[y, x1:x2 + 1].ravel() for y in (y1, y2)] +
        [np.abs(drawn - original)[y1:y2 + 1, x].ravel() for x in (x1, x2)])
    assert edge.mean() > 20, edge.mean()


@pytest.mark.parametrize('option,message', [
    ('train_dataloader.dataset.ann_file=annotations/missing.json',
     "train_dataloader.dataset.ann_file '.*missing.json' does not exist"),
    ('model.data_preprocessor.pad_size_divisor=1',
     'pad_size_divisor=1 cannot pad .* multiple of 32'),
])
def test_bad_config_stops_with_a_clear_message(coco_root, tmp_path, option,
                                               message):
    cfg = small_detection_config(tmp_path, FASTER_RCNN_CONFIG, coco_root)
    proc = run_tool([
        'tools/train.py', cfg, '--work-dir',
        str(tmp_path), '--cfg-options', option
    ],
                    check=False)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith('error:') and re.search(message,
                                                   last), proc.stderr[-2000:]


def test_ground_truth_as_predictions_scores_one(coco_root, tmp_path):
    """The DETR config's data, CocoMetric and tools/test.py give AP 1 to the
    annotated boxes themselves."""
    extra, ckpt = oracle_config('GroundTruthDetector', tmp_path)
    cfg = small_detection_config(tmp_path, DETR_CONFIG, coco_root, extra=extra)
    proc = run_tool(['tools/test.py', cfg, ckpt, '--work-dir', str(tmp_path)])
    scores = dict(
        re.findall(r'(coco/bbox_mAP(?:_50|_75)?): ([-\d.]+)', proc.stdout))
    assert scores == {
        'coco/bbox_mAP': '1.0000',
        'coco/bbox_mAP_50': '1.0000',
        'coco/bbox_mAP_75': '1.0000'
    }, proc.stdout[-2000:]
