# A small PyramidTNT trained from scratch on real handwritten digits, on CPU
# (the data: tools/dataset_converters/digits_to_imagenet.py, as `make demo`):
#     python tools/train.py configs/pyramid_tnt/pyramid-tnt-mini_1xb64-100e_digits.py  # noqa: E501
# The digits config's data and schedule with the four-stage network scaled
# down: 16x16 digits upscaled to 32x32 (the smallest input whose first stage
# can pool its keys 4x4), widths 48/96/192/192, words 4/8/16/16 wide.
_base_ = [
    '../tnt/tnt-mini-p8_1xb64-100e_digits.py',
    '../_base_/models/pyramid_tnt_no_decay.py'
]

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmtnt.PyramidTNT',
        arch=dict(
            depths=(1, 2, 1, 1),
            outer_dims=48,
            inner_dims=4,
            outer_heads=2,
            inner_heads=1),
        img_size=32),
    head=dict(
        _delete_=True,
        type='LinearClsHead',
        num_classes=10,
        in_channels=192,
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')))

upscale = dict(
    _scope_='mmpretrain',
    type='Resize',
    scale=32,
    backend='pillow',
    interpolation='bicubic')
train_pipeline = [
    step for base_step in _base_.train_pipeline
    for step in ([base_step, upscale] if base_step['type'] ==
                 'RandomCrop' else [base_step])
]
test_pipeline = [
    step for base_step in _base_.test_pipeline
    for step in ([base_step, upscale] if base_step['type'] ==
                 'LoadImageFromFile' else [base_step])
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys=dict(_delete_=True, **_base_.pyramid_tnt_no_decay)))
default_hooks = dict(visualization=dict(rescale_factor=10))
