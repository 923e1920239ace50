"""Attention logits under float16 autocast: where q.k overflows float16
(65504) but q.k / sqrt(d) does not, the outer/inner attention and the
Trans2Seg head still give finite outputs (they scale before the product)."""
import pytest
import torch

from mmtnt.models.heads.trans2seg_head import Trans2SegDecoderLayer
from mmtnt.models.layers.attention import Attention

D = 64  # one head of width 64: q.k = 64 a^2, scaled by 1/8
A = 35.0  # 64 * 35^2 = 78400 overflows float16; / 8 = 9800 does not


def identity_attention(fold_heads):
    attn = Attention(dim=D, num_heads=1, fold_heads=fold_heads)
    with torch.no_grad():
        attn.qk.weight.copy_(torch.cat([torch.eye(D), torch.eye(D)]))
        for layer in (attn.v, attn.proj):
            layer.weight.copy_(torch.eye(D))
            if layer.bias is not None:
                layer.bias.zero_()
    return attn


def test_the_regime_overflows_without_scaling_first():
    q = torch.full((1, 4, D), A, dtype=torch.float16)
    assert torch.isinf(q @ q.transpose(-2, -1)).all()
    assert torch.isfinite((q * D**-0.5) @ q.transpose(-2, -1)).all()


@pytest.mark.parametrize(
    'fold_heads, grad', [(False, True), (True, True), (True, False)],
    ids=['sdpa', 'explicit', 'folded'])
def test_attention_is_finite_where_unscaled_scores_overflow(fold_heads, grad):
    attn = identity_attention(fold_heads).train(grad)
    x = torch.full((2, 4, D), A)
    with torch.set_grad_enabled(grad), torch.autocast(
            'cpu', dtype=torch.float16):
        out = attn(x)
        weights = attn.attention_weights(x)
    assert torch.isfinite(out).all() and torch.isfinite(weights).all()
    torch.testing.assert_close(out.float(), x, rtol=1e-2, atol=0.1)


def test_trans2seg_logits_are_finite_where_unscaled_ones_overflow():
    layer = Trans2SegDecoderLayer(embed_dims=D, num_heads=1, num_tokens=16)
    with torch.no_grad():
        layer.fc_q.weight.copy_(torch.eye(D))
        layer.fc_kv.weight.copy_(torch.cat([torch.eye(D), torch.eye(D)]))
        for fc in (layer.fc_q, layer.fc_kv):
            if fc.bias is not None:
                fc.bias.zero_()
    query, feat = torch.full((1, 3, D), A), torch.full((1, 16, D), A)
    with torch.no_grad(), torch.autocast('cpu', dtype=torch.float16):
        logits, _ = layer.cross_attention(query, feat)
    assert torch.isfinite(logits).all()
    torch.testing.assert_close(
        logits.float(),
        torch.full_like(logits.float(), D * A * A / 8),
        rtol=1e-2,
        atol=0)
