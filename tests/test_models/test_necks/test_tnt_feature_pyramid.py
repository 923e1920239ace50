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


@pytest.mark.parametrize('shape', [(7, 12), (8, 13)], ids=['height', 'width'])
def test_odd_map_cannot_be_halved(shape):
    neck = TNTFeaturePyramid(in_channels=16)
    h, w = shape
    with pytest.raises(ValueError) as err:
        neck(tuple(torch.randn(1, 16, h, w) for _ in range(4)))
    assert str(err.value) == (
        f'TNTFeaturePyramid: a {h}x{w} map cannot be halved exactly; pad the '
        'images to a multiple of 32 (data_preprocessor pad_size_divisor=32).')
    # an odd map is fine where no level halves it
    (out, ) = TNTFeaturePyramid(
        in_channels=16, scales=(2, ))(
            torch.randn(1, 16, h, w))
    assert out.shape[-2:] == (2 * h, 2 * w)


def test_clear_errors():
    neck = TNTFeaturePyramid(in_channels=16)
    with pytest.raises(ValueError) as err:
        neck(tuple(torch.randn(1, 16, 8, 12) for _ in range(3)))
    assert str(err.value) == (
        'TNTFeaturePyramid: got 3 feature maps for 4 scales (4, 2, 1, 0.5); '
        "set the backbone's out_indices to one block per scale (or one block "
        'for all).')
    with pytest.raises(ValueError) as err:
        TNTFeaturePyramid(in_channels=16, scales=(3, ))
    assert str(err.value) == (
        'TNTFeaturePyramid: scales must be a non-empty sequence of '
        '(4, 2, 1, 0.5), got (3,).')
    with pytest.raises(ValueError) as err:
        TNTFeaturePyramid(in_channels=16, downsample='bilinear')
    assert str(err.value) == (
        "TNTFeaturePyramid: downsample must be 'conv', 'avgpool' or "
        "'maxpool', got 'bilinear'.")
    for bad in (1, 3):
        with pytest.raises(ValueError) as err:
            TNTFeaturePyramid(in_channels=16, kernel_size=bad)
        assert str(err.value) == (
            f'TNTFeaturePyramid: kernel_size must be even, got {bad}.')


def test_maxpool_and_kernel_size_2_are_accepted():
    x = torch.randn(1, 4, 6, 10)
    (out, ) = TNTFeaturePyramid(
        in_channels=4, scales=(0.5, ), downsample='maxpool')((x, ))
    torch.testing.assert_close(out, x.reshape(1, 4, 3, 2, 5, 2).amax((3, 5)))
    neck = TNTFeaturePyramid(in_channels=4, scales=(2, 0.5), kernel_size=2)
    assert [tuple(o.shape[-2:]) for o in neck(x)] == [(12, 20), (3, 5)]


def test_default_init_is_kaiming_on_every_resampler():
    """mmengine's Kaiming init (normal, fan_out, relu gain; zero bias) on
    the convolutions and the transposed convolutions alike."""
    torch.manual_seed(0)
    neck = TNTFeaturePyramid(in_channels=64)
    neck.init_weights()
    for layer in neck.levels:
        if not isinstance(layer, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            continue
        w = layer.weight.detach()
        fan_out = w.shape[0] * w[0, 0].numel()
        if isinstance(layer, torch.nn.ConvTranspose2d):
            fan_out = w.shape[1] * w[0, 0].numel()
        expected = (2.0 / fan_out)**0.5
        assert abs(w.std().item() / expected - 1) < 0.05, type(layer)
        assert torch.count_nonzero(layer.bias) == 0
