# The main job: a small TNT trained from scratch on real handwritten digits (CPU, minutes).
#   make demo     (writes data/digits, trains, tests, predicts)
# Same network as the paper's (official layout, both position encodings, class token), scaled
# down: 8x8 sentences of 4x4 words on 32x32 images, 6 blocks, D=192, c=24.
_base_ = [
    '../_base_/models/tnt_s_p16.py',
    '../_base_/datasets/digits_bs64_32px.py',
    '../_base_/schedules/imagenet_bs1024_adamw_tnt.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True, inner_dims=24, inner_heads=4, outer_dims=192, outer_heads=3,
            num_layers=6),
        img_size=16,
        patch_size=8,
        inner_stride=2,
        drop_path_rate=0.05),
    head=dict(num_classes=10, in_channels=192),
    train_cfg=None,  # no mixup/cutmix on 10 tiny classes
)

optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=0.05))
max_epochs = 40
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 2, eta_min=1e-5, by_epoch=True, begin=2,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
auto_scale_lr = dict(base_batch_size=64)

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=5, max_keep_ckpts=2, save_best='accuracy/top1', rule='greater'))
randomness = dict(seed=0)
