# DETR with a TNT-S backbone (paper Table 10): the last block's stride-16 map, 2x2 average
# pooled to stride 32, then mmdet's DETR (R50 config's transformer, head and assigner).
pretrained = ('https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/tnt/'
              'tnt_s_81.5.pth.tar')
model = dict(
    type='DETR',
    num_queries=100,
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[127.5, 127.5, 127.5],  # TNT's ImageNet normalisation, not ResNet's
        std=[127.5, 127.5, 127.5],
        bgr_to_rgb=True,
        pad_size_divisor=32),  # TNT needs multiples of 16, the 2x2 pool an even grid
    backbone=dict(
        type='mmtnt.TNT',
        arch='s',
        layout='official',
        out_indices=(11, ),
        out_type='featmap',
        drop_path_rate=0.1,
        # Any TNT checkpoint (official, timm, mmpretrain, mmtnt) loads with this prefix.
        init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    neck=[
        dict(type='mmtnt.TNTFeaturePyramid', in_channels=384, scales=(0.5, ),
             downsample='avgpool'),
        dict(type='ChannelMapper', in_channels=[384], kernel_size=1, out_channels=256,
             act_cfg=None, norm_cfg=None, num_outs=1),
    ],
    encoder=dict(
        num_layers=6,
        layer_cfg=dict(
            self_attn_cfg=dict(embed_dims=256, num_heads=8, dropout=0.1, batch_first=True),
            ffn_cfg=dict(embed_dims=256, feedforward_channels=2048, num_fcs=2, ffn_drop=0.1,
                         act_cfg=dict(type='ReLU', inplace=True)))),
    decoder=dict(
        num_layers=6,
        layer_cfg=dict(
            self_attn_cfg=dict(embed_dims=256, num_heads=8, dropout=0.1, batch_first=True),
            cross_attn_cfg=dict(embed_dims=256, num_heads=8, dropout=0.1, batch_first=True),
            ffn_cfg=dict(embed_dims=256, feedforward_channels=2048, num_fcs=2, ffn_drop=0.1,
                         act_cfg=dict(type='ReLU', inplace=True))),
        return_intermediate=True),
    positional_encoding=dict(num_feats=128, normalize=True),
    bbox_head=dict(
        type='DETRHead',
        num_classes=80,
        embed_dims=256,
        loss_cls=dict(type='CrossEntropyLoss', bg_cls_weight=0.1, use_sigmoid=False,
                      loss_weight=1.0, class_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=5.0),
        loss_iou=dict(type='GIoULoss', loss_weight=2.0)),
    train_cfg=dict(
        assigner=dict(
            type='HungarianAssigner',
            match_costs=[
                dict(type='ClassificationCost', weight=1.),
                dict(type='BBoxL1Cost', weight=5.0, box_format='xywh'),
                dict(type='IoUCost', iou_mode='giou', weight=2.0),
            ])),
    test_cfg=dict(max_per_img=100))
