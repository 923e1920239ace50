import pytest
import torch

from mmtnt.models import TNTFeaturePyramid


def test_strides_4_8_16_32_from_stride_16():
    neck = TNTFeaturePyramid(in_channels=384)
    maps = tuple(torch.randn(1, 384, 50, 84)
                 for _ in range(4))  # 800x1344 at stride 16
    outs = neck(maps)
    assert [tuple(o.shape[-2:]) for o in outs] == [(200, 336), (100, 168),
                                                   (50, 84), (25, 42)]
    assert all(o.shape[1] == 384 for o in outs)
    assert outs[2] is maps[2]  # stride 16 passes through


def test_parameter_count_reproduces_paper():
    # Three 384->384 layers with 4x4 kernels: what brings Faster R-CNN + FPN to
    # the paper's 48.1M.
    neck = TNTFeaturePyramid(in_channels=384)
    assert sum(
        p.numel()
        for p in neck.parameters()) == 3 * (384 * 384 * 16 + 384) == 7_079_040


def test_detr_pooling_is_parameter_free_2x2_average():
    neck = TNTFeaturePyramid(
        in_channels=8, scales=(0.5, ), downsample='avgpool')
    x = torch.randn(2, 8, 6, 10)
    (out, ) = neck((x, ))
    assert sum(p.numel() for p in neck.parameters()) == 0
    torch.testing.assert_close(out, x.reshape(2, 8, 3, 2, 5, 2).mean((3, 5)))


def test_one_map_feeds_every_level_and_gradients_flow():
    neck = TNTFeaturePyramid(in_channels=16)
    x = torch.randn(1, 16, 8, 12, requires_grad=True)
    outs = neck(x)
    sum(o.sum() for o in outs).backward()
    assert x.grad is not None and all(p.grad is not None
                                      for p in neck.parameters())


def test_clear_errors():
    neck = TNTFeaturePyramid(in_channels=16)
    with pytest.raises(ValueError, match='pad_size_divisor=32'):
        neck(tuple(torch.randn(1, 16, 7, 12) for _ in range(4)))
    with pytest.raises(ValueError, match='out_indices'):
        neck(tuple(torch.randn(1, 16, 8, 12) for _ in range(3)))
    with pytest.raises(ValueError, match='scales'):
        TNTFeaturePyramid(in_channels=16, scales=(3, ))
