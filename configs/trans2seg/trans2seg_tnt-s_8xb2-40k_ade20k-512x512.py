# Trans2Seg, TNT-S, 40k iterations on ADE20K at 512x512 (paper Table 11: 43.6 mIoU, 32.1M
# params, 30.4 GFLOPs), 8 GPUs x 2 images, single-scale sliding-window test.
_base_ = [
    '../_base_/models/trans2seg_tnt-s.py',
    '../_base_/datasets/ade20k.py',
    '../_base_/schedules/segmentation_40k_adamw.py',
    '../_base_/seg_runtime.py',
]
