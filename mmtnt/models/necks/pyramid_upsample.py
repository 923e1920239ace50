"""PyramidTNT's stride-8/16/32/64 stages -> strides 4/8/16/32 for FPN, as the
PyramidTNT paper describes its detection setup (docs/pyramid_tnt.md)."""
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule

from mmtnt.registry import MODELS


@MODELS.register_module()
class PyramidUpsample(BaseModule):
    """Double each feature map's size: a 2x2 stride-2 transposed conv, then a
    3x3 conv, each followed by BN and GELU; channels are kept.

    Args:
        in_channels (Sequence[int]): Channels of each input map, e.g. [128,
            256, 512, 512] for PyramidTNT-S.
        norm_cfg (dict): Normalisation after each conv. Defaults to BN.
        act_cfg (dict): Activation after each norm. Defaults to GELU.
        init_cfg (dict | list[dict], optional): Initialisation config.
    """

    def __init__(self,
                 in_channels,
                 norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='GELU'),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.in_channels = list(in_channels)
        self.levels = nn.ModuleList(
            nn.Sequential(
                ConvModule(
                    c,
                    c,
                    2,
                    stride=2,
                    conv_cfg=dict(type='deconv'),
                    norm_cfg=norm_cfg,
                    act_cfg=act_cfg),
                ConvModule(
                    c, c, 3, padding=1, norm_cfg=norm_cfg, act_cfg=act_cfg))
            for c in self.in_channels)

    def forward(self, inputs):
        if len(inputs) != len(self.levels):
            raise ValueError(
                f'PyramidUpsample: got {len(inputs)} feature maps for in_channels {self.in_channels}; set the backbone\'s out_indices to one stage per entry.'  # noqa: E501
            )
        return tuple(level(x) for x, level in zip(inputs, self.levels))
