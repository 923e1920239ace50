# The official PyramidTNT command: the TNT schedule (AdamW 1e-3 for a total
# batch of 1024, weight decay 0.05, cosine to 1e-5 at 300 epochs, EMA 0.99996)
# with 20 warm-up epochs from 1e-6 instead of 5. No weight decay on norms,
# biases and the two position encodings; the attention biases
# (stages.N.relative_pos) decay, as in the official code. timm's 10 cool-down
# epochs are not run (docs/pyramid_tnt.md).
_base_ = [
    './imagenet_bs1024_adamw_tnt.py', '../models/pyramid_tnt_no_decay.py'
]
warmup_epochs = 20
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys=dict(_delete_=True, **_base_.pyramid_tnt_no_decay)))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=300 - warmup_epochs,
        eta_min=1e-5,
        by_epoch=True,
        begin=warmup_epochs,
        end=300),
]
