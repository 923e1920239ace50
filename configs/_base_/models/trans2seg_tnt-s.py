# Trans2Seg with a TNT-S backbone (paper Table 11): block 12's stride-16 map
# feeds both the Trans2Seg encoder (pooled to 16x16 tokens) and the
# high-resolution branch.
# _scope_='mmseg': built in mmseg's registries also where a config inherits
# this one through mmtnt:: (docs/registry.md).
_base_ = './tnt_s_release.py'
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    _scope_='mmseg',
    type='SegDataPreProcessor',
    mean=[127.5, 127.5, 127.5],  # TNT's ImageNet normalisation
    std=[127.5, 127.5, 127.5],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(512, 512))
model = dict(
    _scope_='mmseg',
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='mmtnt.TNT',
        arch='s',
        layout='official',
        out_indices=(11, ),
        out_type='featmap',
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint=_base_.tnt_s_release,
            prefix='backbone.')),
    decode_head=dict(
        type='mmtnt.Trans2SegHead',
        in_channels=(384, 384),
        in_index=(0, 0),
        channels=64,
        embed_dims=256,
        num_layers=4,
        num_heads=8,
        mlp_ratio=3.,
        token_grid=(16, 16),
        num_classes=150,
        norm_cfg=norm_cfg,
        align_corners=True,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    # The decoder's MLP over the token grid fixes the training crop: slide over
    # test images.
    test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(341, 341)))
