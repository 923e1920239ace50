import pytest
import torch
import torch.nn.functional as F

from mmtnt.models import Trans2SegHead
from tests.helpers.hand_counts import linear, trans2seg_head_params


def build(**kwargs):
    torch.manual_seed(0)
    head = Trans2SegHead(
        norm_cfg=dict(type='BN', requires_grad=True), **kwargs)
    head.init_weights()
    return head


@pytest.mark.parametrize(
    'grid', [(32, 32), (24, 40)], ids=['512x512', '384x640'])
def test_output_shape_and_gradient_through_every_parameter(grid):
    head = build(num_classes=150).train()
    x = torch.randn(2, 384, *grid)
    out = head((x, ))
    assert out.shape == (2, 150, *grid
                         )  # logits at the high-resolution input (stride 16)
    out.square().mean().backward()
    no_grad = [
        n for n, p in head.named_parameters()
        if p.grad is None or not p.grad.abs().sum() > 0
    ]
    assert not no_grad, no_grad


def test_second_configuration_with_a_separate_high_resolution_input():
    head = build(
        in_channels=(24, 384),
        in_index=(0, 1),
        num_classes=5,
        embed_dims=64,
        num_layers=1,
        num_heads=4,
        mlp_ratio=2.,
        channels=16,
        token_grid=(8, 8))
    hires, tokens = torch.randn(1, 24, 64, 64), torch.randn(1, 384, 16, 16)
    out = head((hires, tokens))
    assert out.shape == (1, 5, 64, 64)


def test_encoder_input_pooled_to_token_grid_is_2x2_average_at_512():
    """head.encode sees a 32x32 map only through its 2x2 means: a change that
    keeps every 2x2 mean keeps the tokens, one that moves a mean does not."""
    head = build(num_classes=3).eval()
    x = torch.randn(1, 384, 32, 32)
    wobble = torch.tensor([[1., -1.], [-1., 1.]]).repeat(16, 16)  # mean 0
    shift = torch.zeros(32, 32)
    shift[:2, :2] = 1.  # moves one 2x2 mean
    with torch.no_grad():
        tokens = head.encode(x)
        torch.testing.assert_close(
            head.encode(x + wobble), tokens, atol=1e-4, rtol=1e-4)
        # nearest-upsampled 2x2 means: the same input to the encoder
        means = F.interpolate(F.avg_pool2d(x, 2), scale_factor=2.)
        torch.testing.assert_close(
            head.encode(means), tokens, atol=1e-4, rtol=1e-4)
        assert not torch.allclose(head.encode(x + shift), tokens, atol=1e-2)
    assert tokens.shape == (1, 16 * 16, 256)
    # the decoder's attention-map MLP is sized for exactly this grid
    assert head.decoder[-1].norm_attn_mlp.normalized_shape == (16 * 16, )


def test_decoder_returns_pre_softmax_logits_per_class_and_head():
    head = build(num_classes=7)
    feat = head.encode(torch.randn(2, 384, 32, 32))
    attn = head.decode(feat)
    assert feat.shape == (2, 256, 256) and attn.shape == (2, 7, 8, 256)
    assert not torch.allclose(attn.exp().sum(-1), torch.ones(
        2, 7, 8))  # not probabilities


def test_unused_layers_change_params_not_outputs():
    lean, full = build(num_classes=4), build(
        num_classes=4, keep_unused_layers=True)
    extra = {
        k: v
        for k, v in full.state_dict().items() if k not in lean.state_dict()
    }
    assert sum(v.numel() for v in extra.values()) > 0
    full.load_state_dict({**lean.state_dict(), **extra})
    lean.eval(), full.eval()
    x = torch.randn(1, 384, 32, 32)
    torch.testing.assert_close(lean((x, )), full((x, )))


def test_no_dropout_leaks_in_from_an_earlier_detr_build():
    """mmcv's MultiheadAttention writes a config's ``dropout`` into its own
    default ``dropout_layer``; a head built after DETR must stay without
    dropout (its encoder, like the original's, has none)."""
    from mmcv.cnn.bricks.transformer import MultiheadAttention
    MultiheadAttention(256, 8, dropout=0.1)  # what DETR's config does
    head = build(num_classes=3)
    rates = [
        m.p for m in head.modules() if isinstance(m, torch.nn.Dropout)
    ] + [m.drop_prob for m in head.modules() if hasattr(m, 'drop_prob')]
    assert all(rate == 0 for rate in rates), rates
    x = torch.randn(1, 384, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(head.train().encode(x), head.encode(x))


@pytest.mark.parametrize('keep_unused', [False, True])
def test_parameter_count_follows_the_architecture(keep_unused):
    """The head's parameters counted by hand from its description
    (tests/helpers/hand_counts.py), and with TNT-S at 512x512 the paper's
    32.1M."""
    counted, unused = trans2seg_head_params(keep_unused)
    head = build(keep_unused_layers=keep_unused)
    assert sum(p.numel() for p in head.parameters()) == counted
    # With TNT-S (Table 1: 23.8M with its 1000-class classifier, which the
    # segmentor drops; its 224 position table is resized at run time, so
    # 512x512 inputs add no parameters) the paper's 32.1M counts the unused
    # layers: 23.8 - 0.39 + 6.84 + 1.97.
    backbone = 23.8e6 - linear(384, 1000)
    total = (backbone + counted) / 1e6
    paper = 32.1 if keep_unused else 32.1 - unused / 1e6
    assert total == pytest.approx(paper, abs=0.2)


def test_position_table_is_the_learned_grid_resized_with_corners_aligned():
    """pos_grid 32x32 to the 16x16 token grid, bilinear with aligned corners
    (as the Trans2Seg code resizes its position embedding): corners are kept
    exactly, row/column i samples the learned grid at i * 31 / 15."""
    head = build(num_classes=3)
    learned = head.pos_embed.detach()
    table = head.position_table().detach()
    assert table.shape == (1, 1 + 16 * 16, 256)
    assert torch.equal(table[0, 0], learned[0, 0])  # class token unchanged
    grid = learned[0, 1:].reshape(32, 32, -1)
    out = table[0, 1:].reshape(16, 16, -1)
    for i, j in ((0, 0), (0, 15), (15, 0), (15, 15)):
        torch.testing.assert_close(out[i, j], grid[31 * i // 15, 31 * j // 15])
    t = 31 / 15 - 2  # row 1 lies between rows 2 and 3 of the learned grid
    torch.testing.assert_close(out[1, 0],
                               (1 - t) * grid[2, 0] + t * grid[3, 0])
    same = build(num_classes=3, pos_grid=(16, 16))
    assert same.position_table() is same.pos_embed


def test_logits_are_resized_to_the_image_with_corners_aligned():
    head = build(num_classes=3).eval()
    logits = torch.randn(1, 3, 8, 8)
    out = head.predict_by_feat(logits, [dict(img_shape=(29, 29))])
    torch.testing.assert_close(
        out,
        F.interpolate(logits, (29, 29), mode='bilinear', align_corners=True))
    torch.testing.assert_close(out[..., -1, -1], logits[..., -1, -1])


def test_token_count_other_than_the_width():
    """A 6x10 token grid (60 tokens) with 64-wide tokens: keys and values are
    split per token, not per channel (the default 16x16 grid has as many
    tokens as the 256 channels)."""
    head = build(
        num_classes=4,
        embed_dims=64,
        num_heads=4,
        token_grid=(6, 10),
        pos_grid=(6, 10),
        channels=16).eval()
    x = torch.randn(1, 384, 12, 20)
    with torch.no_grad():
        attn = head.decode(head.encode(x))
        assert head((x, )).shape == (1, 4, 12, 20)
    assert attn.shape == (1, 4, 4, 60)  # (B, classes, heads, HW)
