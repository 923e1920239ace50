"""tools/infer.py's --score-thr reaches the drawing: with a detector that
predicts two fixed boxes (scores 0.9 and 0.2), only the boxes at or above the
threshold are outlined on the picture."""
import os.path as osp

import numpy as np
import pytest
import skimage.data
from PIL import Image

from tests.helpers import DETR_CONFIG, run_tool, small_detection_config
from tests.helpers.oracles import FIXED_BOXES, oracle_config


def outline_change(drawn, original, box):
    """Mean absolute change along a box's outline."""
    x1, y1, x2, y2 = (int(v) for v in box)
    diff = np.abs(drawn - original)
    edge = [diff[y, x1:x2 + 1].ravel() for y in (y1, y2)]
    edge += [diff[y1:y2 + 1, x].ravel() for x in (x1, x2)]
    return float(np.concatenate(edge).mean())


@pytest.mark.parametrize('thr,drawn_boxes', [(0.1, [0, 1]), (0.5, [0]),
                                             (0.95, [])])
def test_only_boxes_above_the_threshold_are_drawn(thr, drawn_boxes, tmp_path):
    extra, ckpt = oracle_config('FixedBoxesDetector', tmp_path)
    cfg = small_detection_config(
        tmp_path, DETR_CONFIG, str(tmp_path), extra=extra)
    image = str(tmp_path / 'chelsea.png')  # lossless: unchanged pixels stay
    Image.fromarray(skimage.data.chelsea()).save(image)
    out_dir = str(tmp_path / 'pictures')
    proc = run_tool([
        'tools/infer.py', cfg, ckpt, image, '--out-dir', out_dir,
        '--score-thr',
        str(thr)
    ])
    assert f'{len(drawn_boxes)} boxes with score >= {thr}' in proc.stdout
    drawn = np.asarray(
        Image.open(osp.join(out_dir, 'vis', 'chelsea.png')).convert('RGB'),
        float)
    original = np.asarray(Image.open(image).convert('RGB'), float)
    for i, box in enumerate(FIXED_BOXES):
        change = outline_change(drawn, original, box)
        if i in drawn_boxes:
            assert change > 20, (i, change)
        else:
            assert change < 1, (i, change)
