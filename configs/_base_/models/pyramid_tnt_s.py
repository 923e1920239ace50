# PyramidTNT-S (arXiv 2201.00978; 32.0M params, 3.3 GMACs at 256) in
# mmpretrain's ImageClassifier with the official training heads: the final
# LayerNorm and the mean over sentences in the backbone, one Linear layer,
# label smoothing 0.1, mixup 0.8 / cutmix 1.0 (one of the two per batch), drop
# path 0.1.
# _scope_='mmpretrain': built in mmpretrain's registries also where a config
# inherits this one through mmtnt:: (docs/registry.md).
model = dict(
    _scope_='mmpretrain',
    type='ImageClassifier',
    backbone=dict(
        type='mmtnt.PyramidTNT',
        arch='s',
        img_size=256,
        drop_path_rate=0.1,
        out_type='avg_featmap'),
    neck=None,
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=512,
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=.02, bias=0.)),
    train_cfg=dict(augments=[
        dict(type='Mixup', alpha=0.8),
        dict(type='CutMix', alpha=1.0),
    ]),
)
