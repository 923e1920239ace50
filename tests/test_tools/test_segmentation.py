"""Trans2Seg with TNT-S through tools/train.py, tools/test.py and
tools/infer.py on data in ADE20K's exact layout made from real photographs,
scored by mmseg's IoUMetric.

The real config is used through a small child config
(helpers.small_segmentation_config): 256x256 crops and sliding windows instead
of 512x512, so that a few iterations fit a CPU.
"""
import glob
import math
import os
import os.path as osp
import re
import shutil

import numpy as np
import pytest
from PIL import Image

from tests.helpers import run_tool, scalars, small_segmentation_config
from tests.helpers.onnx_checks import (deploy_and_compare,
                                       largest_prediction_difference)
from tests.helpers.oracles import oracle_config

pytestmark = pytest.mark.slow  # end-to-end runs of the tools


@pytest.fixture(scope='module')
def ade_root(ade_photos):
    return ade_photos


def hand_miou(predictions_pkl, num_classes=150):
    """mIoU (%) of the dumped predictions against their annotation files."""
    import pickle
    with open(predictions_pkl, 'rb') as f:
        results = pickle.load(f)
    inter = np.zeros(num_classes)
    union = np.zeros(num_classes)
    for result in results:
        pred = np.asarray(result['pred_sem_seg']['data']).squeeze(0)
        label = np.asarray(Image.open(result['seg_map_path'])).astype(int) - 1
        assert pred.shape == label.shape
        valid = label >= 0
        for c in range(num_classes):
            p, g = (pred == c) & valid, label == c
            inter[c] += (p & g).sum()
            union[c] += (p | g).sum()
    present = union > 0
    return 100 * float(np.mean(inter[present] / union[present]))


def test_train_then_test_with_iou_metric(ade_root, tmp_path):
    cfg = small_segmentation_config(tmp_path, ade_root, max_iters=8)
    work_dir = str(tmp_path / 'work')
    run_tool(['tools/train.py', cfg, '--work-dir', work_dir])
    records = scalars(work_dir)
    losses = [r['loss'] for r in records if 'loss' in r]
    assert len(losses) == 8 and all(math.isfinite(v) for v in losses)
    # 4 images in a fixed order, 2 per batch: iterations 1-2 and 7-8 see the
    # same images.
    assert sum(losses[-2:]) < sum(losses[:2]), losses
    val = [r for r in records if 'mIoU' in r]
    assert val

    ckpt = osp.join(work_dir, 'iter_8.pth')
    out = osp.join(work_dir, 'predictions.pkl')
    proc = run_tool([
        'tools/test.py', cfg, ckpt, '--work-dir', work_dir, '--show-dir',
        'shown', '--out', out
    ])
    # The mIoU printed is that of the label maps the model predicted, computed
    # here by hand against the annotation PNGs (ADE20K: 0 is ignored, k is
    # class k - 1); a class absent from both does not count.
    printed = float(re.findall(r'mIoU: ([\d.]+)', proc.stdout)[-1])
    assert printed == pytest.approx(hand_miou(out), abs=0.01)
    assert printed == pytest.approx(val[-1]['mIoU'], abs=0.01)  # same weights

    # Deployed: the same weights in onnxruntime, mmseg's sliding window
    # around the graph.
    diffs, onnx_metrics, onnx_out = deploy_and_compare(cfg, ckpt, work_dir,
                                                       ('256', '256'),
                                                       ((256, 256),
                                                        (288, 320)))
    assert max(diffs) < 1e-4, diffs
    assert onnx_metrics['mIoU'] == pytest.approx(printed, abs=0.1)
    assert largest_prediction_difference(out, onnx_out) < 1e-4  # logits
    drawn = glob.glob(
        osp.join(work_dir, 'shown', '**', '*.png'), recursive=True)
    assert len(
        drawn
    ) == 2, drawn  # every validation image, drawn by SegLocalVisualizer

    image = sorted(
        glob.glob(osp.join(ade_root, 'images', 'validation', '*.jpg')))[0]
    out_dir = str(tmp_path / 'pictures')
    proc = run_tool(['tools/infer.py', cfg, ckpt, image, '--out-dir', out_dir])
    overlay = Image.open(osp.join(out_dir, 'vis', osp.basename(image)))
    assert overlay.size == Image.open(image).size
    assert not np.array_equal(
        np.asarray(overlay.convert('RGB')),
        np.asarray(Image.open(image).convert('RGB')))
    assert glob.glob(osp.join(out_dir, 'pred', '*.png'))


def broken_copy(ade_root, tmp_path, breakage):
    root = str(tmp_path / 'ADEChallengeData2016')
    shutil.copytree(ade_root, root)
    name = 'ADE_train_00000002'
    label_path = osp.join(root, 'annotations', 'training', name + '.png')
    if breakage == 'value':
        label = np.asarray(Image.open(label_path)).copy()
        label[:4, :4] = 200  # ADE20K has 150 classes
        Image.fromarray(label).save(label_path)
    elif breakage == 'size':
        Image.open(label_path).resize((64, 48), Image.NEAREST).save(label_path)
    else:
        os.remove(label_path)
    return root, label_path


@pytest.mark.parametrize('breakage,message', [
    ('value',
     r'ADE_train_00000002.png: label values \[200\] are out of range'),
    ('size',
     r'ADE_train_00000002.png: the label map is 48x64 but its image .* is'),
    ('missing',
     r'ADE_train_00000002.jpg has no annotation .*ADE_train_00000002.png'),
])
def test_broken_label_stops_naming_the_file(ade_root, tmp_path, breakage,
                                            message):
    root, _ = broken_copy(ade_root, tmp_path, breakage)
    cfg = small_segmentation_config(tmp_path, root, max_iters=4)
    proc = run_tool(['tools/train.py', cfg, '--work-dir',
                     str(tmp_path / 'w')],
                    check=False)
    assert proc.returncode != 0
    assert re.search(message, proc.stderr), proc.stderr[-3000:]


def test_ground_truth_as_predictions_scores_100(ade_root, tmp_path):
    """The config's data, IoUMetric and tools/test.py give 100 mIoU to the
    label maps themselves."""
    extra, ckpt = oracle_config('GroundTruthSegmentor', tmp_path)
    cfg = small_segmentation_config(tmp_path, ade_root, extra=extra)
    proc = run_tool(['tools/test.py', cfg, ckpt, '--work-dir', str(tmp_path)])
    scores = dict(re.findall(r'(mIoU|aAcc|mAcc): ([\d.]+)', proc.stdout))
    assert scores == {
        'aAcc': '100.0000',
        'mIoU': '100.0000',
        'mAcc': '100.0000'
    }, proc.stdout[-2000:]
