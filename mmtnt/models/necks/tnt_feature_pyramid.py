"""Stride-16 TNT feature maps -> a pyramid of strides 4/8/16/32 for detection
necks (Sec. 4.3).
"""
import torch.nn as nn
from mmengine.model import BaseModule

from mmtnt.registry import MODELS

SCALES = (4, 2, 1, 0.5)


def _resampler(channels, scale, downsample, kernel_size):
    if scale == 1:
        return nn.Identity()
    if scale == 4:
        return nn.ConvTranspose2d(channels, channels, 4, stride=4)
    if scale == 2:  # k4/s2/p1: exactly doubles any size
        return nn.ConvTranspose2d(
            channels,
            channels,
            kernel_size,
            stride=2,
            padding=(kernel_size - 2) // 2)
    if downsample == 'conv':
        return nn.Conv2d(
            channels,
            channels,
            kernel_size,
            stride=2,
            padding=(kernel_size - 2) // 2)
    return (nn.AvgPool2d if downsample == 'avgpool' else nn.MaxPool2d)(2, 2)


@MODELS.register_module()
class TNTFeaturePyramid(BaseModule):
    """Resample same-stride feature maps to a pyramid, one resampler per level.

    Args:
        in_channels (int): Channels of every input map (384 for TNT-S). Kept by
            every level.
        scales (Sequence[float]): Resize factor per level, each of 4, 2, 1 or
            0.5. With stride-16 inputs the default (4, 2, 1, 0.5) gives strides
            4, 8, 16, 32.
        downsample (str): How a 0.5 level shrinks: ``'conv'`` (4x4 conv, stride
            2), ``'avgpool'`` or ``'maxpool'`` (2x2, stride 2). Defaults to
            ``'conv'``.
        kernel_size (int): Kernel of the stride-2 (de)convolutions, even.
            Defaults to 4.
        init_cfg (dict | list[dict], optional): Initialisation config. Defaults
            to Kaiming for the (de)convolutions.

    Inputs are a tuple with one map per level, or a single map that feeds every
    level (ViTDet-style). Heights and widths must be even where a level halves
    them: pad images to a multiple of 32 (``pad_size_divisor=32``), as mmdet's
    configs do.
    """

    def __init__(self,
                 in_channels,
                 scales=SCALES,
                 downsample='conv',
                 kernel_size=4,
                 init_cfg=dict(
                     type='Kaiming', layer=['Conv2d', 'ConvTranspose2d'])):
        super().__init__(init_cfg=init_cfg)
        bad = [s for s in scales if s not in SCALES]
        if bad or not scales:
            raise ValueError(
                f'TNTFeaturePyramid: scales must be a non-empty sequence of {SCALES}, got {tuple(scales)}.'  # noqa: E501
            )
        if downsample not in ('conv', 'avgpool', 'maxpool'):
            raise ValueError(
                f"TNTFeaturePyramid: downsample must be 'conv', 'avgpool' or 'maxpool', got {downsample!r}."  # noqa: E501
            )
        if kernel_size < 2 or kernel_size % 2:
            raise ValueError(
                f'TNTFeaturePyramid: kernel_size must be even, got {kernel_size}.'  # noqa: E501
            )
        self.scales = tuple(scales)
        self.levels = nn.ModuleList(
            _resampler(in_channels, s, downsample, kernel_size)
            for s in self.scales)

    def forward(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            inputs = (inputs, )
        if len(inputs) == 1:
            inputs = tuple(inputs) * len(self.scales)
        if len(inputs) != len(self.scales):
            raise ValueError(
                f'TNTFeaturePyramid: got {len(inputs)} feature maps for {len(self.scales)} scales {self.scales}; set the backbone\'s out_indices to one block per scale (or one block for all).'  # noqa: E501
            )
        outs = []
        for x, scale, level in zip(inputs, self.scales, self.levels):
            if scale == 0.5 and (x.shape[-2] % 2 or x.shape[-1] % 2):
                raise ValueError(
                    f'TNTFeaturePyramid: a {x.shape[-2]}x{x.shape[-1]} map cannot be halved exactly; pad the images to a multiple of 32 (data_preprocessor pad_size_divisor=32).'  # noqa: E501
                )
            outs.append(level(x))
        return tuple(outs)
