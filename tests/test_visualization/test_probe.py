"""mmtnt.visualization.TNTProbe: each block's attention and tokens, against
softmax(q k^T / sqrt(d)) written out here from the blocks' own inputs."""
import pytest
import torch
import torch.nn.functional as F

from mmtnt.visualization import TNTProbe


def softmax_attention(x, attn):
    """(B, N, C) tokens -> (B, heads, N, N) from ``attn``'s qk weights."""
    B, N, C = x.shape
    h = attn.num_heads
    q, k = (x @ attn.qk.weight.T).split(C, dim=-1)
    q, k = q.view(B, N, h, C // h), k.view(B, N, h, C // h)
    scores = torch.einsum('bihd,bjhd->bhij', q, k) / (C // h)**0.5
    return scores.softmax(-1)


def block_inputs(backbone, inputs):
    """{block index: (words, sentences)} as each block received them."""
    seen, handles = {}, []
    for i, block in enumerate(backbone.blocks):
        handles.append(
            block.register_forward_pre_hook(
                lambda m, args, i=i: seen.setdefault(i, args)))
    with torch.no_grad():
        backbone.eval()(inputs)
    for handle in handles:
        handle.remove()
    return seen


@pytest.fixture
def probed(mini):
    backbone, inputs, _ = mini
    with TNTProbe(backbone, inner=True, outer=True, tokens=True) as probe:
        probe.run(inputs)
    return probe, block_inputs(backbone, inputs)


def test_grid_and_kept_shapes(probed, mini):
    probe = probed[0]
    assert probe.grid == (4, 4)  # 32 px / patch 8
    assert sorted(probe.outer_attn) == sorted(probe.inner_attn) == [0, 1, 2, 3]
    assert probe.outer_attn[0].shape == (2, 3, 17, 17)  # B, heads, 1+N, 1+N
    assert probe.inner_attn[0].shape == (32, 2, 16, 16)  # B*N, heads, m, m
    assert probe.words[3].shape == (32, 16, 12)
    assert probe.sentences[3].shape == (2, 17, 192)


def test_inner_attention_is_softmax_of_each_blocks_words(probed, mini):
    probe, seen = probed
    for i, block in enumerate(mini[0].blocks):
        words = seen[i][0]
        expected_inner = softmax_attention(
            F.layer_norm(words, (12, ), block.norm_in.weight,
                         block.norm_in.bias), block.attn_in)
        torch.testing.assert_close(probe.inner_attn[i], expected_inner)
        rows = probe.outer_attn[i].sum(-1)
        torch.testing.assert_close(rows, torch.ones_like(rows))


def test_outer_attention_matches_the_attn_out_input(mini):
    backbone, inputs, _ = mini
    seen = {}
    hook = backbone.blocks[2].attn_out.register_forward_pre_hook(
        lambda m, args: seen.setdefault('x', args[0]))
    with TNTProbe(backbone, outer=True) as probe:
        probe.run(inputs)
    hook.remove()
    expected = softmax_attention(seen['x'], backbone.blocks[2].attn_out)
    torch.testing.assert_close(probe.outer_attn[2], expected)


def test_tokens_are_each_blocks_output(probed, mini):
    probe, seen = probed
    backbone = mini[0]
    for i in range(3):
        # block i's output is block i+1's input
        torch.testing.assert_close(probe.words[i], seen[i + 1][0])
        torch.testing.assert_close(probe.sentences[i], seen[i + 1][1])
    with torch.no_grad():
        words, sentences = backbone.blocks[3](*seen[3])
    torch.testing.assert_close(probe.words[3], words)
    torch.testing.assert_close(probe.sentences[3], sentences)


def test_only_what_is_asked_is_kept_and_hooks_are_removed(mini):
    backbone, inputs, _ = mini
    with TNTProbe(backbone, outer=True) as probe:
        assert probe.run(inputs) is probe
    assert probe.outer_attn and not probe.inner_attn
    assert not probe.words and not probe.sentences
    for block in backbone.blocks:
        assert not block._forward_pre_hooks and not block._forward_hooks
        assert not block.attn_out._forward_pre_hooks
    with TNTProbe(backbone, inner=True, tokens=True) as probe:
        probe.run(inputs)
    assert not probe.outer_attn and probe.inner_attn and probe.words
