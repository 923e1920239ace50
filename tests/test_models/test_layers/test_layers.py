"""mmtnt.models.layers.SE, Mlp and Attention.attention_weights against their
formulas written out with torch's functional ops."""
import pytest
import torch
import torch.nn.functional as F

from mmtnt.models.layers import SE, Attention, Mlp, adaptive_avg_pool


def randomised(module):
    """``module`` with every parameter random (LayerNorm included), so that a
    missing or swapped layer changes the output."""
    torch.manual_seed(0)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn_like(p) * 0.5)
    return module.eval()


def test_se_scales_tokens_by_tanh_gate_of_their_mean():
    se = randomised(SE(dim=16, hidden_ratio=0.25))
    # The official weights' names: fc.0 LayerNorm, fc.1 and fc.3 Linear.
    official = {
        'fc.0.weight': (16, ),
        'fc.0.bias': (16, ),
        'fc.1.weight': (4, 16),
        'fc.1.bias': (4, ),
        'fc.3.weight': (16, 4),
        'fc.3.bias': (16, )
    }
    assert {k: tuple(v.shape) for k, v in se.state_dict().items()} == official
    x = torch.randn(2, 5, 16)
    p = dict(se.named_parameters())
    mean = x.mean(dim=1, keepdim=True)  # (2, 1, 16): one gate per sample
    hidden = F.relu(
        F.linear(
            F.layer_norm(mean, (16, ), p['fc.0.weight'], p['fc.0.bias']),
            p['fc.1.weight'], p['fc.1.bias']))
    gate = torch.tanh(F.linear(hidden, p['fc.3.weight'], p['fc.3.bias']))
    with torch.no_grad():
        torch.testing.assert_close(se(x), x * gate)
        assert (gate < 0).any() and (hidden == 0).any()  # both clamps act


@pytest.mark.parametrize('drop', [0., 0.5])
def test_mlp_is_fc_gelu_fc(drop):
    mlp = randomised(Mlp(in_features=8, hidden_features=12, drop=drop))
    names = ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
    assert list(mlp.state_dict()) == names
    x = torch.randn(3, 8)
    expected = F.linear(
        F.gelu(F.linear(x, mlp.fc1.weight, mlp.fc1.bias)), mlp.fc2.weight,
        mlp.fc2.bias)
    with torch.no_grad():
        torch.testing.assert_close(mlp(x), expected)  # eval: no dropout
        mlp.train()
        torch.manual_seed(1)
        dropped = mlp(x)
    if drop:
        # Dropout after GELU and after fc2: some outputs are exactly 0, the
        # rest differ from eval's by more than the 1 / (1 - p) scaling.
        assert (dropped == 0).any()
        kept = dropped != 0
        assert not torch.allclose(dropped[kept] * (1 - drop), expected[kept])
    else:
        torch.testing.assert_close(dropped, expected)


def test_mlp_has_no_dropout_by_default():
    mlp = randomised(Mlp(in_features=8, hidden_features=12)).train()
    x = torch.randn(3, 8)
    with torch.no_grad():
        trained = mlp(x)
        torch.testing.assert_close(trained, mlp.eval()(x))


@pytest.mark.parametrize('dim,heads', [(24, 4), (40, 4), (12, 2)])
def test_attention_weights_are_softmax_of_scaled_query_key_products(
        dim, heads):
    """What the figures draw: per head, softmax(q k^T / sqrt(d)) with q and k
    the two halves of ``qk`` split into heads."""
    attn = randomised(Attention(dim, heads))
    x = torch.randn(3, 7, dim)
    d = dim // heads
    q, k = F.linear(x, attn.qk.weight).chunk(2, dim=-1)
    q = q.reshape(3, 7, heads, d).transpose(1, 2)
    k = k.reshape(3, 7, heads, d).transpose(1, 2)
    expected = torch.softmax(q @ k.transpose(-1, -2) / d**0.5, dim=-1)
    with torch.no_grad():
        weights = attn.attention_weights(x)
    assert weights.shape == (3, heads, 7, 7)
    torch.testing.assert_close(weights, expected)


def test_adaptive_avg_pool_traced_once_pools_every_size_as_torch():
    # Traced at 32 x 32 (bins of 2 x 2); run at sizes whose bins overlap or
    # differ in size, as F.adaptive_avg_pool2d makes them.
    traced = torch.jit.trace(lambda x: adaptive_avg_pool(x, (16, 16)),
                             torch.randn(1, 2, 32, 32))
    for size in ((32, 32), (20, 18), (17, 45), (16, 16), (9, 7)):
        x = torch.randn(2, 3, *size)
        assert torch.allclose(
            traced(x), F.adaptive_avg_pool2d(x, (16, 16)), atol=1e-6), size
