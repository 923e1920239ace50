# ImageNet-1k in mmpretrain's layout (see docs/dataset_prepare.md) with the
# DeiT/TNT recipe: RandAugment m9 (std .5), random erasing .25, repeated
# augmentation, mean = std = 127.5, bicubic resize 248 -> centre crop 224 at
# test time.
# _scope_='mmpretrain': built in mmpretrain's registries also where a config
# inherits this one through mmtnt:: (docs/registry.md).
_base_ = './tnt_augment.py'
dataset_type = 'ImageNet'
data_root = 'data/imagenet'
data_preprocessor = dict(
    num_classes=1000,
    mean=[127.5, 127.5, 127.5],
    std=[127.5, 127.5, 127.5],
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResizedCrop',
        scale=224,
        backend='pillow',
        interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    _base_.rand_augment,
    _base_.random_erasing,
    dict(type='PackInputs'),
]
train_pipeline = [dict(step, _scope_='mmpretrain') for step in train_pipeline]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='ResizeEdge',
        scale=248,
        edge='short',
        backend='pillow',
        interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
test_pipeline = [dict(step, _scope_='mmpretrain') for step in test_pipeline]

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    dataset=dict(
        _scope_='mmpretrain',
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline),
    sampler=dict(_scope_='mmpretrain', type='RepeatAugSampler', shuffle=True),
    persistent_workers=True,
    pin_memory=True,
    collate_fn=dict(type='default_collate'),
)

val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    dataset=dict(
        _scope_='mmpretrain',
        type=dataset_type,
        data_root=data_root,
        split='val',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
    persistent_workers=True,
    pin_memory=True,
    collate_fn=dict(type='default_collate'),
)
val_evaluator = dict(_scope_='mmpretrain', type='Accuracy', topk=(1, 5))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
