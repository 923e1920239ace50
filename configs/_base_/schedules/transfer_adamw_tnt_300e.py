# Paper Table 9 fine-tuning: "the same training settings as those at the pre-
# training stage" (AdamW, lr 1e-3 per 1024 images scaled to the real batch,
# weight decay 0.05 except norms, biases, class token and position encodings, 5
# warm-up epochs then cosine), for 300 epochs (the fine-grained sets).
_base_ = './imagenet_bs1024_adamw_tnt.py'
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
        T_max=300 - 5,
        eta_min=1e-5,
        by_epoch=True,
        begin=5,
        end=300),
]
train_cfg = dict(max_epochs=300)
