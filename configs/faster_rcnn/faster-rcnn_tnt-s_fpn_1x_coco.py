# Faster R-CNN + FPN, TNT-S, 1x on COCO (paper Table 13: 41.5 box AP, 48.1M params).
_base_ = [
    '../_base_/models/faster-rcnn_tnt-s_fpn.py',
    '../_base_/datasets/coco_detection.py',
    '../_base_/schedules/detection_1x_adamw.py',
    '../_base_/det_runtime.py',
]
