# DETR, TNT-S, 50 epochs on COCO (paper Table 10: 38.2 box AP) with PVT's DETR recipe:
# multi-scale 640-800, AdamW 1e-4, backbone lr x0.1, gradient clip 0.1, step at epoch 33.
_base_ = [
    '../_base_/models/detr_tnt-s.py',
    '../_base_/datasets/coco_detection.py',
    '../_base_/det_runtime.py',
]

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomChoiceResize',
         scales=[(1333, s) for s in range(640, 801, 32)],
         keep_ratio=True),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.0001, weight_decay=0.0001),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1, decay_mult=1.0)}))

max_epochs = 50
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[33], gamma=0.1)
]

# base_batch_size = (8 GPUs) x (2 images per GPU); tools/train.py --auto-scale-lr scales lr.
auto_scale_lr = dict(enable=False, base_batch_size=16)
