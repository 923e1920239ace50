# 40k iterations, AdamW lr 1e-4, poly decay (power 0.9) to 0: the PVT/TNT ADE20K recipe.
# (mmseg's schedule_40k uses SGD and a 1e-4 floor.)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=1e-4),
    paramwise_cfg=dict(
        custom_keys={
            '.cls_token': dict(decay_mult=0.),
            '.patch_pos': dict(decay_mult=0.),
            '.pixel_pos': dict(decay_mult=0.),
            '.pos_embed': dict(decay_mult=0.),
            '.class_embed': dict(decay_mult=0.),
        }))
param_scheduler = [
    dict(type='PolyLR', eta_min=0., power=0.9, begin=0, end=40000, by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=40000, val_interval=4000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=4000, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
# base_batch_size = (8 GPUs) x (2 images per GPU); tools/train.py --auto-scale-lr scales lr.
auto_scale_lr = dict(enable=False, base_batch_size=16)
