"""The fused inner transformer (mmtnt.ops) computes what the eager modules
compute, values and gradients, for every arch and ablation, and TNTBlock uses
it only where it applies."""
import pytest
import torch
import torch.nn.functional as F

import mmtnt.ops.inner_transformer as fused_op
from mmtnt.models import TNT
from mmtnt.models.backbones.tnt_fused_inner import (fused_inner_forward,
                                                    inner_weights)
from mmtnt.ops import (InnerWeights, fused_inner_available,
                       fused_inner_transformer, unavailable_reason)


def test_the_extension_builds_here():
    """The set-up builds it (tools/setup_env.sh); the rest of this file
    compares it with the eager modules."""
    assert fused_inner_available(), unavailable_reason()


def random_tnt(**kwargs):
    """A TNT whose LayerNorms and biases are random too (not ones/zeros), so
    that every weight the kernel reads matters."""
    torch.manual_seed(0)
    model = TNT(out_type='raw', out_indices=(0, -1), **kwargs).eval()
    model.init_weights()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith('bias') or 'norm' in name:
                p.add_(torch.randn_like(p) * 0.2)
    return model


def fused_and_eager(model, x):
    """Outputs of both paths, then their gradients (input and every weight)
    for the same loss."""
    outs, grads = [], []
    for mode in (True, False):
        for block in model.blocks:
            block.fused_inner = mode
        with torch.no_grad():
            outs.append(model(x))
        model.zero_grad()
        xg = x.clone().requires_grad_()
        loss = sum((o * torch.linspace(-1, 1, o.numel()).view_as(o)).sum()
                   for o in model(xg))
        loss.backward()
        grads.append([xg.grad] + [p.grad for p in model.parameters()])
    return outs, grads


def assert_same(outs, grads):
    for f, e in zip(*outs, strict=True):
        torch.testing.assert_close(f, e, atol=2e-4, rtol=1e-4)
    for f, e in zip(*grads, strict=True):
        assert (f is None) == (e is None)
        if f is not None:
            torch.testing.assert_close(
                f, e, atol=1e-4 * e.abs().max().item() + 1e-6, rtol=1e-3)


@pytest.mark.parametrize('arch', ['ti', 's', 'b'])
@pytest.mark.parametrize('layout', ['official', 'legacy'])
def test_fused_equals_eager_for_every_arch_and_layout(arch, layout):
    model = random_tnt(arch=arch, layout=layout)
    # batch 1 and an odd size: 3 x 4 sentences after padding, 12 sentences
    # (not a multiple of the 16 the kernel runs side by side)
    assert_same(*fused_and_eager(model, torch.randn(1, 3, 40, 57)))


@pytest.mark.parametrize(
    'kwargs',
    [
        dict(inner_stride=2),  # m = 64 words (Table 8)
        dict(inner_stride=8),  # m = 4
        dict(with_se=True),  # Table 12
        dict(inner_block_indices=[0, 5]),  # Table 5 hybrid
        dict(qkv_bias=True),
        dict(with_word_pos=False, with_sentence_pos=False),  # Table 6
    ] + [
        dict(
            arch=dict(
                inner_dims=24,
                inner_heads=h,
                outer_dims=96,
                outer_heads=4,
                num_layers=2)) for h in (1, 2, 3, 4, 6, 8)
    ])
def test_fused_equals_eager_for_the_ablations(kwargs):
    model = random_tnt(**{'arch': 'ti', **kwargs})
    assert_same(*fused_and_eager(model, torch.randn(3, 3, 64, 48)))


def test_training_with_drop_path_equals_eager_for_the_same_draws():
    """Drop path in training: the fused path draws mmcv's per-sentence masks
    in the eager order, so the same seed drops the same sentences."""
    model = random_tnt(arch='ti', drop_path_rate=0.5).train()
    x = torch.randn(2, 3, 48, 32)
    outs, grads = [], []
    for mode in (True, False):
        for block in model.blocks:
            block.fused_inner = mode
        model.zero_grad()
        torch.manual_seed(7)
        out = model(x)
        sum((o * torch.linspace(-1, 1, o.numel()).view_as(o)).sum()
            for o in out).backward()
        outs.append(out)
        grads.append([p.grad for p in model.parameters()])
    assert_same(outs, grads)
    # and the masks matter: another seed gives other outputs
    torch.manual_seed(8)
    with torch.no_grad():
        assert not torch.allclose(model(x)[-1], outs[1][-1])


def test_compiled_model_calls_the_kernel_and_equals_eager():
    """torch.compile sees the kernel as one opaque op (custom op with a fake
    and an autograd rule): no graph break, same values and gradients."""
    model = random_tnt(arch='ti')
    x = torch.randn(2, 3, 32, 48)
    explained = torch._dynamo.explain(model)(x)
    assert explained.graph_break_count == 0, explained.break_reasons
    ops = {
        str(n.target)
        for g in explained.graphs
        for n in g.graph.nodes if n.op == 'call_function'
    }
    if tuple(int(v) for v in torch.__version__.split('.')[:2]) >= (2, 11):
        assert 'mmtnt.inner_transformer.default' in ops, ops
    # torch 2.10 (the cu128 line) says is_exporting() under torch.compile
    # too, so its compiled graph holds the eager inner transformer: still no
    # graph break and the same values (below)
    compiled = torch.compile(model, backend='aot_eager', fullgraph=True)
    outs, grads = [], []
    for fn in (compiled, model):
        model.zero_grad()
        xg = x.clone().requires_grad_()
        out = fn(xg)
        sum(o.square().sum() for o in out).backward()
        outs.append(out)
        grads.append([xg.grad] + [p.grad for p in model.parameters()])
    assert_same(outs, grads)


def test_kernel_output_equals_the_block_modules():
    """Both outputs of the kernel: the new words and norm1_proj of them."""
    block = random_tnt(arch='s').blocks[3]
    words = torch.randn(40, 16, 24)
    with torch.no_grad():
        new_words, normed = fused_inner_forward(block, words)
        ref = words + block.attn_in(block.norm_in(words))
        ref = ref + block.mlp_in(block.norm_mlp_in(ref))
        ref_normed = block.norm1_proj(ref.reshape(40, -1))
    torch.testing.assert_close(new_words, ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(normed, ref_normed, atol=1e-5, rtol=1e-5)


def count_eager_inner_calls(model, x, grad=False):
    calls = []
    hooks = [
        block.mlp_in.register_forward_hook(lambda *a: calls.append(1))
        for block in model.blocks
    ]
    with torch.set_grad_enabled(grad):
        model(x)
    for hook in hooks:
        hook.remove()
    return len(calls)


def test_auto_is_fused_in_inference_and_training_and_eager_elsewhere():
    model = random_tnt(arch='ti')  # 12 blocks, eval mode
    x = torch.randn(2, 3, 32, 32)
    assert count_eager_inner_calls(model, x) == 0
    assert count_eager_inner_calls(model, x, grad=True) == 0
    # autocast: the eager modules in low precision
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert count_eager_inner_calls(model, x) == 12
    # training with dropout active: eager; without dropout: fused
    assert count_eager_inner_calls(model.train(), x) == 0
    dropout = random_tnt(arch='ti', drop_rate=0.1).train()
    assert count_eager_inner_calls(dropout, x) == 12
    assert count_eager_inner_calls(dropout.eval(), x) == 0


def test_fused_true_raises_where_it_does_not_apply():
    model = random_tnt(arch='ti', fused_inner=True, drop_rate=0.1)
    with pytest.raises(RuntimeError, match='dropout is active'):
        model.train()(torch.randn(1, 3, 32, 32))
    model.eval()
    with pytest.raises(RuntimeError, match='float32 CPU'), torch.no_grad():
        model.double()(torch.randn(1, 3, 32, 32, dtype=torch.float64))
    with pytest.raises(RuntimeError, match='CPU autocast is on'), \
            torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16):
        model.float()(torch.randn(1, 3, 32, 32))
    with pytest.raises(ValueError, match='fused_inner must be'):
        TNT(arch='ti', fused_inner='yes')


def test_fused_false_is_never_fused():
    model = random_tnt(arch='ti', fused_inner=False)
    assert count_eager_inner_calls(model, torch.randn(1, 3, 32, 32)) == 12


def test_without_a_compiler_auto_runs_eager_and_warns_once(monkeypatch):
    monkeypatch.setattr(fused_op, '_state', {})

    def no_compiler(verbose=False):
        raise RuntimeError('Ninja is required to load C++ extensions')

    monkeypatch.setattr(fused_op, 'load_extension', no_compiler)
    model = random_tnt(arch='ti')
    x = torch.randn(1, 3, 32, 32)
    with pytest.warns(UserWarning, match='Ninja is required') as record:
        assert count_eager_inner_calls(model, x) == 12
    assert len(record) == 1  # once, not once per block
    for block in model.blocks:
        block.fused_inner = True
    with pytest.raises(RuntimeError, match='did not build.*Ninja'):
        with torch.no_grad():
            model(x)


def test_kernel_rejects_wrong_inputs_with_the_name():
    block = random_tnt(arch='s').blocks[0]
    with pytest.raises(RuntimeError, match='words must be'):
        fused_inner_forward(block, torch.randn(16, 24))
    with pytest.raises(RuntimeError, match='norm3_weight has shape'):
        # 4 words of 24: the official LayerNorm is over 16 x 24
        fused_inner_forward(block, torch.randn(3, 4, 24))


def reference_inner(words, w, heads, whole):
    """The inner transformer written out from the weights alone."""
    S, m, c = words.shape
    x = F.layer_norm(words, (c, ), w.norm1_weight, w.norm1_bias)
    q, k, v = F.linear(x, w.qkv_weight,
                       w.qkv_bias).reshape(S, m, 3, heads,
                                           c // heads).permute(2, 0, 3, 1, 4)
    attn = (q @ k.transpose(-2, -1) * (c // heads)**-0.5).softmax(-1)
    x = (attn @ v).transpose(1, 2).reshape(S, m, c)
    words = words + F.linear(x, w.proj_weight, w.proj_bias)
    x = F.layer_norm(words, (c, ), w.norm2_weight, w.norm2_bias)
    x = F.linear(
        F.gelu(F.linear(x, w.fc1_weight, w.fc1_bias)), w.fc2_weight,
        w.fc2_bias)
    words = words + x
    shape = (m * c, ) if whole else (c, )
    normed = F.layer_norm(
        words.reshape(S, m * c) if whole else words, shape, w.norm3_weight,
        w.norm3_bias)
    return words, normed.reshape(S, m * c)


@pytest.mark.parametrize('whole', [True, False])
def test_op_computes_the_inner_transformer_from_named_weights(whole):
    torch.manual_seed(0)
    S, m, c, heads = 6, 16, 24, 4
    n3 = m * c if whole else c
    shapes = dict(
        norm1_weight=(c, ),
        norm1_bias=(c, ),
        qkv_weight=(3 * c, c),
        qkv_bias=(3 * c, ),
        proj_weight=(c, c),
        proj_bias=(c, ),
        norm2_weight=(c, ),
        norm2_bias=(c, ),
        fc1_weight=(4 * c, c),
        fc1_bias=(4 * c, ),
        fc2_weight=(c, 4 * c),
        fc2_bias=(c, ),
        norm3_weight=(n3, ),
        norm3_bias=(n3, ))
    weights = InnerWeights(**{
        k: 0.2 * torch.randn(shape)
        for k, shape in shapes.items()
    })
    words = torch.randn(S, m, c)
    with torch.no_grad():
        out = fused_inner_transformer(
            words, weights, heads=heads, norm_whole_sentence=whole)
    for got, want in zip(out, reference_inner(words, weights, heads, whole)):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_block_adapter_names_the_block_weights():
    block = random_tnt(arch='s').blocks[2]
    weights = inner_weights(block)
    assert weights.norm3_weight is block.norm1_proj.weight
    assert weights.fc2_bias is block.mlp_in.fc2.bias
    torch.testing.assert_close(weights.qkv_weight[-24:],
                               block.attn_in.v.weight)
