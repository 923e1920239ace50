# TNT-B at 384x384 starting from the ImageNet release at 224 (paper Table 9).
# The sentence position encoding is resized from 14x14 to 24x24 when the
# checkpoint loads (any TNT format loads; mmtnt.checkpoint); the classifier
# starts anew. The experiment configs set num_classes.
_base_ = './tnt_s_p16.py'
pretrained = ('https://github.com/huawei-noah/Efficient-AI-Backbones/'
              'releases/download/tnt/'
              'tnt_b_82.9.pth.tar')
model = dict(
    backbone=dict(
        arch='b',
        img_size=384,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    head=dict(in_channels=640))
