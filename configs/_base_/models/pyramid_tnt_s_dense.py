# PyramidTNT-S as a detection or segmentation backbone: its four stages
# (strides 8, 16, 32, 64; 128, 256, 512, 512 channels) doubled in size by
# mmtnt.PyramidUpsample (transposed conv + BN + GELU, 3x3 conv + BN + GELU, as
# the PyramidTNT paper describes) to strides 4-32 for FPN or UperNet. The
# ImageNet weights are the official release (Baidu Pan only: download
# ptnt_s_82.0.pth.tar to checkpoints/, or set
# model.backbone.init_cfg.checkpoint); they load with any input size.
_base_ = './pyramid_tnt_no_decay.py'
pyramid_tnt_s_channels = [128, 256, 512, 512]
pyramid_tnt_s_backbone = dict(
    type='mmtnt.PyramidTNT',
    arch='s',
    out_indices=(0, 1, 2, 3),
    out_type='featmap',
    drop_path_rate=0.1,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='checkpoints/ptnt_s_82.0.pth.tar',
        prefix='backbone.'))
pyramid_tnt_s_upsample = dict(
    type='mmtnt.PyramidUpsample', in_channels=pyramid_tnt_s_channels)
# No weight decay on norms, biases and the two position encodings, as in the
# ImageNet recipe; AdamW 1e-4 with weight decay 0.05 for the detectors (the
# PyramidTNT paper's 1x setting), replacing the toolbox's SGD.
pyramid_tnt_paramwise_cfg = dict(
    norm_decay_mult=0.,
    bias_decay_mult=0.,
    custom_keys=_base_.pyramid_tnt_no_decay)
pyramid_tnt_det_optim_wrapper = dict(
    type='mmtnt.GuardedOptimWrapper',  # a NaN/inf loss stops every rank
    optimizer=dict(
        _delete_=True,
        type='AdamW',
        lr=0.0001,
        betas=(0.9, 0.999),
        weight_decay=0.05),
    paramwise_cfg=pyramid_tnt_paramwise_cfg)
# TNT's mean and std; images padded to multiples of 64 so that every stage
# halves exactly.
pyramid_tnt_det_preprocessor = dict(
    mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5], pad_size_divisor=64)
