"""PyramidTNT's configs train a few iterations and report their metrics
through tools/test.py: digits, ImageNet-format, COCO-format (RetinaNet, Mask
R-CNN) and ADE20K-format data made from real photographs."""
import math
import os.path as osp
import re

import pytest

from tests.helpers import (digits_options, run_tool, scalars,
                           small_detection_config, small_segmentation_config)

pytestmark = pytest.mark.slow  # end-to-end runs of the tools

FOLDER = 'configs/pyramid_tnt/'
DIGITS = FOLDER + 'pyramid-tnt-mini_1xb64-100e_digits.py'


def train_losses(work_dir):
    losses = [r['loss'] for r in scalars(work_dir) if 'loss' in r]
    assert losses and all(math.isfinite(v) for v in losses), losses
    return losses


def test_digits_config_loss_falls_and_accuracy_reported(digits_root, tmp_path):
    work = str(tmp_path / 'work')
    run_tool(['tools/train.py', DIGITS, '--work-dir', work] +
             digits_options(digits_root, max_epochs=3))
    losses = train_losses(work)
    assert sum(losses[-3:]) / 3 < 0.8 * sum(losses[:3]) / 3, losses
    proc = run_tool([
        'tools/test.py', DIGITS,
        osp.join(work, 'epoch_3.pth'), '--work-dir', work
    ] + digits_options(digits_root))
    top1 = float(re.findall(r'accuracy/top1: ([\d.]+)', proc.stdout)[-1])
    assert top1 > 20  # 10 classes: chance is 10


@pytest.mark.parametrize('name', [
    'retinanet_pyramid-tnt-s_fpn_1x_coco.py',
    'mask-rcnn_pyramid-tnt-s_fpn_1x_coco.py'
])
def test_detection_config_trains_and_tests(name, coco_photos, tmp_path):
    mask = 'mask' in name
    # From scratch no box scores 0.05 after a few iterations, and CocoMetric
    # reports nothing for an empty result: keep every box.
    extra = ("model['test_cfg'] = dict(rcnn=dict(score_thr=0.0))"
             if mask else "model['test_cfg'] = dict(score_thr=0.0)")
    cfg = small_detection_config(
        tmp_path,
        FOLDER + name,
        coco_photos,
        max_epochs=1,
        extra=extra,
        with_mask=mask)
    work = str(tmp_path / 'work')
    run_tool([
        'tools/train.py', cfg, '--work-dir', work, '--cfg-options',
        'train_cfg.val_interval=10'
    ])
    assert len(train_losses(work)) == 2  # 4 images, 2 per batch
    proc = run_tool([
        'tools/test.py', cfg,
        osp.join(work, 'epoch_1.pth'), '--work-dir', work
    ])
    metrics = ('bbox_mAP', 'segm_mAP') if mask else ('bbox_mAP', )
    for metric in metrics:
        assert re.search(rf'coco/{metric}: [\d.]+', proc.stdout), metric


def test_segmentation_config_trains_and_tests(ade_photos, tmp_path):
    cfg = small_segmentation_config(
        tmp_path,
        ade_photos,
        max_iters=4,
        base=FOLDER + 'upernet_pyramid-tnt-s_8xb2-160k_ade20k-512x512.py')
    work = str(tmp_path / 'work')
    run_tool(['tools/train.py', cfg, '--work-dir', work])
    assert len(train_losses(work)) == 4
    proc = run_tool([
        'tools/test.py', cfg,
        osp.join(work, 'iter_4.pth'), '--work-dir', work
    ])
    assert re.search(r'mIoU: [\d.]+', proc.stdout)
