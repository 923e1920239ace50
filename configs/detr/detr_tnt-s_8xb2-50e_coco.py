# DETR, TNT-S, 50 epochs on COCO (paper Table 10: 38.2 box AP). mmdet's own
# DETR R50 config (transformer, head, assigner, AdamW 1e-4 with backbone lr
# x0.1 and gradient clip 0.1) with TNT-S instead of ResNet-50 (the last block's
# stride-16 map, 2x2 average pooled to stride 32) and PVT's DETR schedule that
# the paper follows: multi-scale 640-800, 50 epochs, step at 33.
_base_ = [
    'mmdet::detr/detr_r50_8xb2-150e_coco.py',
    '../_base_/models/tnt_s_release.py',
    '../_base_/mmtnt_hooks.py',
]
model = dict(
    data_preprocessor=dict(
        mean=[127.5, 127.5,
              127.5],  # TNT's ImageNet normalisation, not ResNet's
        std=[127.5, 127.5, 127.5],
        pad_size_divisor=32),  # the 2x2 pooling needs an even patch grid
    backbone=dict(
        _delete_=True,
        type='mmtnt.TNT',
        arch='s',
        layout='official',
        out_indices=(11, ),
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
            scales=(0.5, ),
            downsample='avgpool'),
        dict(
            type='ChannelMapper',
            in_channels=[384],
            kernel_size=1,
            out_channels=256,
            act_cfg=None,
            norm_cfg=None,
            num_outs=1),
    ])

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, s) for s in range(640, 801, 32)],
        keep_ratio=True),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

max_epochs = 50
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[33],
        gamma=0.1)
]
default_hooks = _base_.mmtnt_hooks  # docs/reliability.md
# a NaN/inf loss stops every rank
optim_wrapper = dict(type='mmtnt.GuardedOptimWrapper')
