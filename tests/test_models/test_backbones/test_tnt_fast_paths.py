"""The fast paths compute the same function: folded inner attention,
checkpointing, AMP, torch.compile (no graph breaks) and torch.export (no
in-place updates)."""
import pytest
import torch

from mmtnt.models import TNT
from mmtnt.models.layers import Attention


@pytest.mark.parametrize('dim,heads', [(12, 2), (24, 4), (40, 4), (24, 1),
                                       (24, 8)])
def test_folded_heads_equal_sdpa_forward_and_gradients(dim, heads):
    torch.manual_seed(0)
    attn = Attention(dim, heads)
    torch.nn.init.normal_(attn.proj.bias)
    x = torch.randn(30, 16, dim, requires_grad=True)
    params = [
        x, attn.qk.weight, attn.v.weight, attn.proj.weight, attn.proj.bias
    ]
    ref = attn(x)
    ref_grads = torch.autograd.grad((ref * ref.detach()).sum(), params)
    attn.fold_heads = True
    with torch.no_grad():  # folding is the no-grad path
        torch.testing.assert_close(attn(x), ref, atol=1e-5, rtol=1e-5)
    # With gradients: checkpointed explicit attention, the same values and
    # gradients.
    out = attn(x)
    grads = torch.autograd.grad((out * out.detach()).sum(), params)
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
    for g, r in zip(grads, ref_grads):
        torch.testing.assert_close(g, r, atol=1e-4, rtol=1e-4)
    # The folded function itself is differentiable and gives the same
    # gradients.
    out = attn._forward_folded(x)
    grads = torch.autograd.grad((out * out.detach()).sum(), params)
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
    for g, r in zip(grads, ref_grads):
        torch.testing.assert_close(g, r, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize(
    'grad,fold', [(False, True), (True, True), (True, False)],
    ids=['folded', 'explicit', 'sdpa'])
def test_attention_dropout_only_in_training(grad, fold):
    """Every path (folded without grad, checkpointed explicit with grad, and
    SDPA for the outer attention) drops attention weights in training only,
    with the given rate: in eval they equal the attention without dropout; in
    training with rate 1 every weight is dropped and only the projection's
    bias is left."""
    torch.manual_seed(0)
    attn = Attention(24, 4, attn_drop=1.0, fold_heads=fold)
    torch.nn.init.normal_(attn.proj.bias)
    plain = Attention(24, 4, fold_heads=fold)
    plain.load_state_dict(attn.state_dict())
    x = torch.randn(6, 16, 24)
    with torch.set_grad_enabled(grad):
        torch.testing.assert_close(attn.eval()(x), plain.eval()(x))
        dropped = attn.train()(x)
    torch.testing.assert_close(dropped, attn.proj.bias.expand_as(dropped))


def test_fold_needs_no_qkv_bias():
    assert Attention(24, 4, fold_heads=True).fold_heads
    assert not Attention(24, 4, qkv_bias=True, fold_heads=True).fold_heads


def test_backbone_uses_folded_inner_and_sdpa_outer():
    block = TNT(arch='ti').blocks[0]
    assert block.attn_in.fold_heads and not block.attn_out.fold_heads


def test_checkpointing_gives_the_same_gradients():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 64, 64)
    grads = []
    for with_cp in (False, True):
        torch.manual_seed(1)
        model = TNT(arch='ti', with_cp=with_cp).train()
        model.init_weights()
        model(x)[0].square().sum().backward()
        grads.append([p.grad for p in model.parameters()])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_autocast_runs_in_low_precision_and_stays_close(dtype):
    torch.manual_seed(0)
    model = TNT(arch='ti').eval()
    model.init_weights()
    x = torch.randn(2, 3, 64, 64)
    ref = model(x)[0]
    seen = []
    for m in (model.blocks[0].mlp_in.fc1, model.blocks[0].attn_out.proj):
        m.register_forward_hook(lambda mod, inp, out: seen.append(out.dtype))
    with torch.autocast('cpu', dtype=dtype):
        out = model(x)[0]
    assert seen == [dtype,
                    dtype]  # inner and outer matmuls ran in low precision
    assert (out.float() - ref).abs().max() < 0.1 * ref.abs().max()


def test_compiles_without_graph_breaks():
    torch.manual_seed(0)
    model = TNT(arch='ti', out_indices=(5, -1), out_type='featmap').eval()
    x = torch.randn(2, 3, 48, 64)
    explained = torch._dynamo.explain(model)(x)
    assert explained.graph_break_count == 0, explained.break_reasons
    compiled = torch.compile(model, backend='eager', fullgraph=True)
    for a, b in zip(compiled(x), model(x)):
        torch.testing.assert_close(a, b)


def test_torch_export():
    model = TNT(arch='ti').eval()
    x = torch.randn(1, 3, 64, 64)
    exported = torch.export.export(model, (x, ))
    torch.testing.assert_close(exported.module()(x)[0], model(x)[0])
