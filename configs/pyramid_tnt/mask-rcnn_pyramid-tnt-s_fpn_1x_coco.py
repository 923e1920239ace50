# Mask R-CNN + FPN, PyramidTNT-S, 1x on COCO (the PyramidTNT paper's setting:
# 1x schedule, AdamW 1e-4, weight decay 0.05). mmdet's own R50 Mask R-CNN 1x
# config with PyramidTNT-S and its upsampling neck instead of ResNet-50;
# images padded to multiples of 64 so that every stage halves exactly.
_base_ = [
    'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py',
    '../_base_/models/pyramid_tnt_s_dense.py',
    '../_base_/mmtnt_hooks.py',
]
model = dict(
    data_preprocessor=_base_.pyramid_tnt_det_preprocessor,
    backbone=dict(_delete_=True, **_base_.pyramid_tnt_s_backbone),
    neck=[
        _base_.pyramid_tnt_s_upsample,
        dict(
            type='FPN',
            in_channels=_base_.pyramid_tnt_s_channels,
            out_channels=256,
            num_outs=5),
    ])
optim_wrapper = _base_.pyramid_tnt_det_optim_wrapper
default_hooks = _base_.mmtnt_hooks  # docs/reliability.md
