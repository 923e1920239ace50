# 1x (12 epochs, steps at 8 and 11, 500-iteration warm-up) with AdamW instead of mmdet's SGD
# 0.02, which does not suit a transformer backbone; lr and decay as mmdet's Swin/ViT 1x configs.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1),
]

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.0001, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        custom_keys={
            '.cls_token': dict(decay_mult=0.),
            '.patch_pos': dict(decay_mult=0.),
            '.pixel_pos': dict(decay_mult=0.),
        }))

# base_batch_size = (8 GPUs) x (2 images per GPU); tools/train.py --auto-scale-lr scales lr.
auto_scale_lr = dict(enable=False, base_batch_size=16)
