# Paper Table 9 fine-tuning data: the pre-training augmentations kept ("we
# adopt the same training settings as those at the pre-training stage by
# preserving all data augmentation strategies"), at 384x384. Dataset-specific
# files (transfer_<dataset>_384.py) set the dataset and classes.
# _scope_='mmpretrain': built in mmpretrain's registries also where a config
# inherits this one through mmtnt:: (docs/registry.md).
_base_ = './tnt_augment.py'
data_preprocessor = dict(
    mean=[127.5, 127.5, 127.5],
    std=[127.5, 127.5, 127.5],
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResizedCrop',
        scale=384,
        backend='pillow',
        interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    _base_.rand_augment,
    _base_.random_erasing,
    dict(type='PackInputs'),
]
train_pipeline = [dict(step, _scope_='mmpretrain') for step in train_pipeline]

# ImageNet's 0.875 crop ratio at 384: short edge 438, centre crop 384.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='ResizeEdge',
        scale=438,
        edge='short',
        backend='pillow',
        interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=384),
    dict(type='PackInputs'),
]
test_pipeline = [dict(step, _scope_='mmpretrain') for step in test_pipeline]

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    dataset=dict(_scope_='mmpretrain', pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
    persistent_workers=True,
    pin_memory=True,
    collate_fn=dict(type='default_collate'),
)
val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    dataset=dict(_scope_='mmpretrain', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
    persistent_workers=True,
    pin_memory=True,
    collate_fn=dict(type='default_collate'),
)
val_evaluator = dict(_scope_='mmpretrain', type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
