# UperNet, PyramidTNT-S, 160k iterations on ADE20K at 512x512. The PyramidTNT
# paper reports no segmentation; this is mmseg's recipe for pyramid
# transformers (its Swin-T UperNet config: AdamW 6e-5, weight decay 0.01, 1500
# warm-up iterations, poly decay, 8 GPUs x 2 images) with PyramidTNT-S and
# its upsampling neck instead of Swin-T (docs/pyramid_tnt.md).
_base_ = [
    'mmseg::swin/swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py',  # noqa: E501
    '../_base_/models/pyramid_tnt_s_dense.py',
    '../_base_/mmtnt_hooks.py',
]
model = dict(
    data_preprocessor=dict(
        mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5]),
    backbone=dict(_delete_=True, **_base_.pyramid_tnt_s_backbone),
    neck=_base_.pyramid_tnt_s_upsample,
    decode_head=dict(in_channels=_base_.pyramid_tnt_s_channels),
    auxiliary_head=dict(in_channels=512))
optim_wrapper = dict(
    type='mmtnt.GuardedOptimWrapper',  # a NaN/inf loss stops every rank
    paramwise_cfg=_base_.pyramid_tnt_paramwise_cfg)
default_hooks = _base_.mmtnt_hooks  # docs/reliability.md
