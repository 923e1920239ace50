# Paper Table 3's schedule (AdamW, 5 warm-up epochs, cosine to 300, EMA);
# configs/_base_/schedules/imagenet_bs1024_adamw_tnt.py in mmengine's
# lazy-import format (docs/registry.md).
from mmengine.hooks import EMAHook
from mmengine.optim import CosineAnnealingLR, LinearLR
from torch.optim import AdamW

from mmtnt.engine import GuardedOptimWrapper

optim_wrapper = dict(
    type=GuardedOptimWrapper,
    optimizer=dict(
        type=AdamW, lr=1e-3, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        flat_decay_mult=0.0,
        custom_keys={
            '.cls_token': dict(decay_mult=0.),
            '.patch_pos': dict(decay_mult=0.),
            '.pixel_pos': dict(decay_mult=0.),
        }),
)

param_scheduler = [
    dict(
        type=LinearLR,
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type=CosineAnnealingLR,
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

custom_hooks = [dict(type=EMAHook, momentum=4e-5, priority='ABOVE_NORMAL')]
