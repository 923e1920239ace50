# Faster R-CNN + FPN, TNT-S, 1x on COCO (paper Table 13: 41.5 box AP, 48.1M
# params). mmdet's own R50-FPN 1x config (RPN, RoI head, COCO pipeline, 1x
# schedule, runtime) with two changes: TNT-S blocks 3, 6, 9, 12 resampled to
# strides 4-32 by 4x4 (de)convolutions (mmtnt.TNTFeaturePyramid) instead of
# ResNet-50, and AdamW instead of SGD 0.02, which does not suit a transformer
# backbone (lr and decay as mmdet's Swin/ViT 1x configs).
_base_ = [
    'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py',
    '../_base_/models/tnt_s_release.py',
    '../_base_/mmtnt_hooks.py',
]
model = dict(
    data_preprocessor=dict(
        mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5]),  # TNT's
    backbone=dict(
        _delete_=True,
        type='mmtnt.TNT',
        arch='s',
        layout='official',
        out_indices=(2, 5, 8, 11),
        out_type='featmap',
        drop_path_rate=0.1,
        # Any TNT checkpoint (official, timm, mmpretrain, mmtnt) loads with
        # this prefix.
        init_cfg=dict(
            type='Pretrained',
            checkpoint=_base_.tnt_s_release,
            prefix='backbone.')),
    neck=[
        dict(
            type='mmtnt.TNTFeaturePyramid',
            in_channels=384,
            scales=(4, 2, 1, 0.5),
            downsample='conv'),
        dict(
            type='FPN',
            in_channels=[384, 384, 384, 384],
            out_channels=256,
            num_outs=5),
    ])

optim_wrapper = dict(
    type='mmtnt.GuardedOptimWrapper',  # a NaN/inf loss stops every rank
    optimizer=dict(
        _delete_=True,
        type='AdamW',
        lr=0.0001,
        betas=(0.9, 0.999),
        weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        custom_keys=_base_.tnt_no_decay))

default_hooks = _base_.mmtnt_hooks  # docs/reliability.md
