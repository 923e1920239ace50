# Trans2Seg, TNT-S, 40k iterations on ADE20K at 512x512 (paper Table 11: 43.6
# mIoU, 32.1M params, 30.4 GFLOPs), 8 GPUs x 2 images, single-scale
# sliding-window test. mmseg's own ADE20K data, runtime and 40k schedule, with
# AdamW 1e-4 and poly decay to 0 (the PVT/TNT ADE20K recipe) instead of SGD.
_base_ = [
    '../_base_/models/trans2seg_tnt-s.py',
    '../_base_/mmtnt_hooks.py',
    'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_40k.py',
]

# Names the image and label files when a label is out of range or of another
# size: checked right after mmseg's LoadAnnotations, before any resize.
check_label = dict(type='mmtnt.CheckSegLabel', num_classes=150)
train_pipeline = sum(
    ([step, check_label] if step['type'] == 'LoadAnnotations' else [step]
     for step in _base_.train_pipeline), [])
test_pipeline = sum(
    ([step, check_label] if step['type'] == 'LoadAnnotations' else [step]
     for step in _base_.test_pipeline), [])
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

optimizer = dict(
    _delete_=True,
    type='AdamW',
    lr=1e-4,
    betas=(0.9, 0.999),
    weight_decay=1e-4)
optim_wrapper = dict(
    type='mmtnt.GuardedOptimWrapper',  # a NaN/inf loss stops every rank
    optimizer=optimizer,
    paramwise_cfg=dict(
        custom_keys=dict(
            _base_.tnt_no_decay,
            **{
                '.pos_embed': dict(decay_mult=0.),  # the head's own
                '.class_embed': dict(decay_mult=0.),
            })))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.,
        power=0.9,
        begin=0,
        end=40000,
        by_epoch=False)
]
default_hooks = _base_.mmtnt_hooks  # docs/reliability.md
# base_batch_size = (8 GPUs) x (2 images per GPU); tools/train.py --auto-scale-
# lr scales lr.
auto_scale_lr = dict(enable=False, base_batch_size=16)
