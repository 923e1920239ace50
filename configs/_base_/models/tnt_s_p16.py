# TNT-S (paper Table 1) in mmpretrain's ImageClassifier, with the paper's
# training heads: label smoothing 0.1, mixup 0.8 / cutmix 1.0 (one of the two
# per batch), drop path 0.1.
# _scope_='mmpretrain': built in mmpretrain's registries also where a config
# inherits this one through mmtnt:: (docs/registry.md).
model = dict(
    _scope_='mmpretrain',
    type='ImageClassifier',
    backbone=dict(
        type='mmtnt.TNT',
        arch='s',
        img_size=224,
        patch_size=16,
        layout='official',
        drop_path_rate=0.1,
        out_type='raw'),
    neck=None,
    head=dict(
        type='mmtnt.TNTClsHead',
        num_classes=1000,
        in_channels=384,
        pool='cls',
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
    ),
    train_cfg=dict(augments=[
        dict(type='Mixup', alpha=0.8),
        dict(type='CutMix', alpha=1.0),
    ]),
)
