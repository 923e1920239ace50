# TNT-S (paper Table 1) in mmpretrain's ImageClassifier with the paper's
# training heads; configs/_base_/models/tnt_s_p16.py in mmengine's lazy-import
# format (docs/registry.md).
from mmpretrain.models import CutMix, ImageClassifier, LabelSmoothLoss, Mixup

from mmtnt.models import TNT, TNTClsHead

model = dict(
    type=ImageClassifier,
    backbone=dict(
        type=TNT,
        arch='s',
        img_size=224,
        patch_size=16,
        layout='official',
        drop_path_rate=0.1,
        out_type='raw'),
    neck=None,
    head=dict(
        type=TNTClsHead,
        num_classes=1000,
        in_channels=384,
        pool='cls',
        loss=dict(type=LabelSmoothLoss, label_smooth_val=0.1, mode='original'),
    ),
    train_cfg=dict(augments=[
        dict(type=Mixup, alpha=0.8),
        dict(type=CutMix, alpha=1.0),
    ]),
)
