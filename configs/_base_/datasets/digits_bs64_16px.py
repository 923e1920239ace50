# scikit-learn's handwritten digits in ImageNet's folder layout (written by
# tools/dataset_converters/digits_to_imagenet.py), read by mmpretrain's
# CustomDataset.
# _scope_='mmpretrain': built in mmpretrain's registries also where a config
# inherits this one through mmtnt:: (docs/registry.md).
dataset_type = 'CustomDataset'
data_root = 'data/digits'  # 16x16 images (the exporter's default)
classes = ('zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven',
           'eight', 'nine')
data_preprocessor = dict(
    num_classes=10,
    mean=[127.5, 127.5, 127.5],
    std=[127.5, 127.5, 127.5],
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    # Digits are not mirror-symmetric: small shifts only.
    dict(type='RandomCrop', crop_size=16, padding=2, pad_val=0),
    dict(type='PackInputs'),
]
train_pipeline = [dict(step, _scope_='mmpretrain') for step in train_pipeline]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(step, _scope_='mmpretrain') for step in test_pipeline]

train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        _scope_='mmpretrain',
        type=dataset_type,
        data_root=data_root,
        ann_file='meta/train.txt',
        data_prefix='train',
        metainfo=dict(classes=classes),
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=128,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        _scope_='mmpretrain',
        type=dataset_type,
        data_root=data_root,
        ann_file='meta/val.txt',
        data_prefix='val',
        metainfo=dict(classes=classes),
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(_scope_='mmpretrain', type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
