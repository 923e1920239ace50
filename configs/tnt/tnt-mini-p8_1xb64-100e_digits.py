# The main job: a small TNT trained from scratch on real handwritten digits, on
# CPU:
#     make demo    (= tools/demo.sh: writes data/digits, trains, tests, predicts)  # noqa: E501
# The paper's network (official layout, sentence + word position encodings,
# inner and outer transformers) scaled down: the 8x8 digits upscaled to 16x16
# and cut into 2x2 sentences of 8x8 pixels, each cut into 4x4 words (7x7
# stride-2 conv); 4 blocks, D=192, c=12.
_base_ = [
    '../_base_/models/tnt_s_p16.py',
    '../_base_/datasets/digits_bs64_16px.py',
    '../_base_/schedules/imagenet_bs1024_adamw_tnt.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True,
            inner_dims=12,
            inner_heads=2,
            outer_dims=192,
            outer_heads=3,
            num_layers=4),
        img_size=16,
        patch_size=8,
        inner_stride=2,
        drop_path_rate=0.),
    # Mean-pooled sentences converge faster than the class token on 1,438
    # images.
    head=dict(num_classes=10, in_channels=192, pool='avg'),
    train_cfg=None,  # no mixup/cutmix on 10 tiny classes
)

train_dataloader = dict(batch_size=64, num_workers=0, persistent_workers=False)
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=0.05))
max_epochs = 100
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-2,
        by_epoch=True,
        begin=0,
        end=2,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - 2,
        eta_min=1e-5,
        by_epoch=True,
        begin=2,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=10)
auto_scale_lr = dict(base_batch_size=64
                     )  # lr 1e-3 is for 64 images; scaled with the total batch
# Validation and checkpoints use the moving average of the weights.
custom_hooks = [dict(type='EMAHook', momentum=0.004, update_buffers=True)]

default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(
        interval=10,
        max_keep_ckpts=1,
        save_best='accuracy/top1',
        rule='greater'),
    # tools/test.py --show-dir: draw the 16x16 digits 20x larger so the labels
    # are readable.
    visualization=dict(rescale_factor=20))
randomness = dict(seed=0)
