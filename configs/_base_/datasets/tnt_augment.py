# The DeiT/TNT training augmentations the paper keeps at every resolution
# (official command:
# --aa rand-m9-mstd0.5-inc1 --reprob 0.25 --remode pixel), filled around TNT's
# mean of 127.5.
pad_val = [128, 128, 128]
rand_augment = dict(
    _scope_='mmpretrain',
    type='RandAugment',
    policies='timm_increasing',
    num_policies=2,
    total_level=10,
    magnitude_level=9,
    magnitude_std=0.5,
    hparams=dict(pad_val=pad_val, interpolation='bicubic'))
random_erasing = dict(
    _scope_='mmpretrain',
    type='RandomErasing',
    erase_prob=0.25,
    mode='rand',
    min_area_ratio=0.02,
    max_area_ratio=1 / 3,
    fill_color=pad_val,
    fill_std=[127.5, 127.5, 127.5])
