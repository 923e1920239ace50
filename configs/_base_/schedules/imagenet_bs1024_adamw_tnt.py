# Paper Table 3: AdamW, lr 1e-3 for a total batch of 1024 (scaled linearly to
# the real total batch, the DeiT rule the paper follows: 8 GPUs x 64 images ->
# 5e-4), weight decay 0.05 except norms, biases, class token and position
# encodings; 5 linear warm-up epochs, then cosine to 300 epochs; gradient
# clipping as in the official code is off. A non-finite loss stops every rank
# (configs/_base_/mmtnt_hooks.py).
_base_ = '../models/tnt_s_release.py'
optim_wrapper = dict(
    type='mmtnt.GuardedOptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-3, weight_decay=0.05, eps=1e-8,
        betas=(0.9, 0.999)),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        flat_decay_mult=0.0,
        custom_keys=_base_.tnt_no_decay),
)

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=295,
        eta_min=1e-5,
        by_epoch=True,
        begin=5,
        end=300),
]

train_cfg = dict(by_epoch=True, max_epochs=300, val_interval=1)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=1024, enable=True)

# Model EMA with decay 0.99996 (official command: --model-ema --model-ema-decay
# 0.99996); mmengine's momentum is 1 - decay. Validation and checkpoints use
# the averaged weights.
custom_hooks = [dict(type='EMAHook', momentum=4e-5, priority='ABOVE_NORMAL')]
