import pytest
import torch
import torch.nn.functional as F

from mmtnt.models import TNT


def n_params(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize('arch,paper_m', [('ti', 6.1), ('s', 23.8),
                                          ('b', 65.6)])
def test_params_match_paper_table1(arch, paper_m):
    backbone = TNT(arch=arch)
    head = backbone.embed_dims * 1000 + 1000
    assert abs((n_params(backbone) + head) / 1e6 - paper_m) < 0.2


@pytest.mark.parametrize('size', [(224, 224), (160, 256), (384, 384),
                                  (64, 48)])
@pytest.mark.parametrize('layout', ['official', 'legacy'])
def test_any_input_size(size, layout):
    model = TNT(
        arch='ti', layout=layout, out_indices=(2, -1),
        out_type='featmap').eval()
    x = torch.randn(1, 3, *size)
    outs = model(x)
    assert len(outs) == 2
    for out in outs:
        assert out.shape == (1, 192, size[0] // 16, size[1] // 16)


def test_out_types_agree():
    torch.manual_seed(0)
    kw = dict(arch='ti', out_indices=(-1, ))
    models = {t: TNT(out_type=t, **kw).eval() for t in TNT.OUT_TYPES}
    state = models['raw'].state_dict()
    for m in models.values():
        m.load_state_dict(state)
    x = torch.randn(2, 3, 64, 96)
    raw = models['raw'](x)[0]
    assert raw.shape == (2, 1 + 4 * 6, 192)
    torch.testing.assert_close(models['cls_token'](x)[0], raw[:, 0])
    torch.testing.assert_close(models['avg_featmap'](x)[0], raw[:, 1:].mean(1))
    fm = models['featmap'](x)[0]
    torch.testing.assert_close(fm.flatten(2).transpose(1, 2), raw[:, 1:])


def test_runtime_pos_interpolation_equals_resized_weights():
    """A 224-trained model run at 384 must equal a 384 model given the resized
    encoding.
    """
    from mmpretrain.models.utils import resize_pos_embed
    torch.manual_seed(0)
    m224 = TNT(arch='ti', img_size=224).eval()
    m384 = TNT(arch='ti', img_size=384).eval()
    state = m224.state_dict()
    state['patch_pos'] = resize_pos_embed(state['patch_pos'], (14, 14),
                                          (24, 24), 'bicubic', 1)
    torch.nn.Module.load_state_dict(m384, state)
    x = torch.randn(1, 3, 384, 384)
    torch.testing.assert_close(m224(x)[0], m384(x)[0])


def test_word_position_never_resized():
    model = TNT(arch='ti')
    shape = tuple(model.pixel_pos.shape)
    model(torch.randn(1, 3, 96, 160))
    assert tuple(model.pixel_pos.shape) == shape == (1, 12, 4, 4)


@pytest.mark.parametrize('size', [(100, 120), (512, 770)])
def test_any_input_size_is_zero_padded_at_bottom_right(size):
    # mmcv's AdaptivePadding(padding='corner'), as mmseg's ViT: the same as
    # padding by hand.
    model = TNT(arch='ti', out_type='featmap', out_indices=(0, 11)).eval()
    x = torch.randn(1, 3, *size)
    grid = (-(-size[0] // 16), -(-size[1] // 16))
    padded = F.pad(x, (0, grid[1] * 16 - size[1], 0, grid[0] * 16 - size[0]))
    with torch.no_grad():
        outs, refs = model(x), model(padded)
    for out, ref in zip(outs, refs):
        assert out.shape == (1, 192, *grid)
        torch.testing.assert_close(out, ref)


@pytest.mark.parametrize('stride,words,c', [(2, 64, 6), (4, 16, 24),
                                            (8, 4, 96)])
def test_words_per_sentence_table8(stride, words, c):
    arch = dict(
        inner_dims=c,
        inner_heads=2 if c == 6 else 4,
        outer_dims=384,
        outer_heads=6,
        num_layers=2)
    model = TNT(arch=arch, inner_stride=stride, out_type='featmap')
    assert model.num_words == words
    inner, outer, grid = model.embed(torch.randn(2, 3, 64, 64))
    assert inner.shape == (2 * 16, words, c)
    assert model(torch.randn(1, 3, 64, 64))[0].shape == (1, 384, 4, 4)


def test_inner_heads_table7():
    for heads in (1, 2, 4, 6, 8):
        model = TNT(
            arch=dict(
                inner_dims=24,
                inner_heads=heads,
                outer_dims=384,
                outer_heads=6,
                num_layers=1))
        assert model.blocks[0].attn_in.num_heads == heads


def test_position_encoding_switches_table6():
    model = TNT(arch='ti', with_sentence_pos=False, with_word_pos=False)
    assert model.patch_pos is None and model.pixel_pos is None
    names = dict(model.named_parameters())
    assert 'patch_pos' not in names and 'pixel_pos' not in names
    assert model(torch.randn(1, 3, 32, 32))[0].shape == (1, 192)


def test_se_table12():
    plain, se = TNT(arch='s'), TNT(arch='s', with_se=True)
    assert all(b.se_layer is not None for b in se.blocks)
    # Paper Table 12: TNT-S 23.8M, TNT-S + SE 24.7M.
    assert abs(n_params(se) - n_params(plain) - 0.9e6) < 0.05e6


def test_hybrid_blocks_table5():
    model = TNT(arch='s', inner_block_indices=[0, 1, 2])
    assert [b.has_inner for b in model.blocks] == [True] * 3 + [False] * 9
    assert not hasattr(model.blocks[5], 'attn_in')
    out = model(torch.randn(1, 3, 64, 64))
    assert out[0].shape == (1, 384)


def test_frozen_stages():
    model = TNT(arch='ti', frozen_stages=2)
    model.train()
    assert not model.pixel_embed.proj.weight.requires_grad
    assert not model.cls_token.requires_grad
    assert not model.patch_pos.requires_grad
    assert all(not p.requires_grad for p in model.blocks[1].parameters())
    assert all(p.requires_grad for p in model.blocks[2].parameters())
    assert not model.blocks[1].training and model.blocks[2].training


def test_drop_path_and_checkpointing_train():
    torch.manual_seed(0)
    model = TNT(arch='ti', drop_path_rate=0.1, with_cp=True).train()
    assert model.blocks[-1].drop_path.drop_prob == pytest.approx(0.1)
    out = model(torch.randn(2, 3, 32, 32))[0]
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters()
               if p.requires_grad)


@pytest.mark.parametrize('with_cp,calls', [(False, 1), (True, 2)])
def test_with_cp_recomputes_each_block_in_backward(with_cp, calls):
    """Checkpointing is observed, not assumed: a checkpointed block runs its
    forward again during backward (a pre-hook: recomputation stops once
    the saved tensors are back, before a module returns)."""
    model = TNT(arch='ti', with_cp=with_cp).train()
    seen = []
    model.blocks[3].norm_out.register_forward_pre_hook(
        lambda *a: seen.append(1))
    model(torch.randn(2, 3, 32, 32))[0].sum().backward()
    assert len(seen) == calls


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="arch 'xl'"):
        TNT(arch='xl')
    with pytest.raises(ValueError, match='custom arch must be a dict'):
        TNT(arch=dict(outer_dims=3))
    with pytest.raises(ValueError, match='layout'):
        TNT(layout='new')
    with pytest.raises(ValueError, match='out_indices entry 12'):
        TNT(arch='ti', out_indices=12)


def test_qkv_bias_in_both_attentions_as_timm_names_it():
    import timm

    from mmtnt.checkpoint import convert_checkpoint
    ref = timm.create_model(
        'tnt_s_patch16_224', qkv_bias=True, num_classes=0).state_dict()
    ours = TNT(arch='s', qkv_bias=True).state_dict()
    converted, _, _ = convert_checkpoint(ref)
    assert {k[len('backbone.'):] for k in converted} == set(ours)
    assert 'blocks.0.attn_in.qk.bias' in ours
    assert 'blocks.0.attn_out.qk.bias' in ours
    assert 'blocks.0.attn_out.qk.bias' not in TNT(arch='s').state_dict()
