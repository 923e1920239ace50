"""A :class:`TNTBlock`'s modules mapped to mmtnt.ops' fused inner
transformer: the op knows tensors by name, this adapter knows the block."""
import torch

from mmtnt.ops import InnerWeights, fused_inner_transformer


def inner_weights(block):
    """The block's inner-transformer weights as :class:`InnerWeights` (q, k
    and v stacked; LayerNorm 3 is ``norm1_proj``)."""
    attn, mlp = block.attn_in, block.mlp_in
    qkv_bias = None
    if attn.qk.bias is not None:
        qkv_bias = torch.cat((attn.qk.bias, attn.v.bias))
    return InnerWeights(
        norm1_weight=block.norm_in.weight,
        norm1_bias=block.norm_in.bias,
        qkv_weight=torch.cat((attn.qk.weight, attn.v.weight)),
        qkv_bias=qkv_bias,
        proj_weight=attn.proj.weight,
        proj_bias=attn.proj.bias,
        norm2_weight=block.norm_mlp_in.weight,
        norm2_bias=block.norm_mlp_in.bias,
        fc1_weight=mlp.fc1.weight,
        fc1_bias=mlp.fc1.bias,
        fc2_weight=mlp.fc2.weight,
        fc2_bias=mlp.fc2.bias,
        norm3_weight=block.norm1_proj.weight,
        norm3_bias=block.norm1_proj.bias)


def drop_path_scales(block, words):
    """Per-sentence factors of the attention and MLP branches for the block's
    drop path, drawn as mmcv's ``drop_path`` draws them (in the same order as
    the eager block), or (None, None) when it is inactive."""
    prob = getattr(block.drop_path, 'drop_prob', 0.)
    if not block.training or prob == 0:
        return None, None
    keep = 1 - prob
    return tuple(
        (keep +
         torch.rand(words.shape[0], dtype=words.dtype, device=words.device)
         ).floor_() / keep for _ in range(2))


def fused_inner_forward(block, words):
    """Inner transformer of ``block`` on ``words`` (S, m, c), with autograd
    and the block's drop path.

    Returns:
        tuple[Tensor, Tensor]: The new words (S, m, c) and
        ``block.norm1_proj`` applied to them as (S, m*c), the input of the
        words-to-sentence projection.
    """
    keep_attn, keep_mlp = drop_path_scales(block, words)
    return fused_inner_transformer(
        words,
        inner_weights(block),
        heads=block.attn_in.num_heads,
        norm_whole_sentence=block.norm_whole_sentence,
        eps=(block.norm_in.eps, block.norm_mlp_in.eps, block.norm1_proj.eps),
        keep_attn=keep_attn,
        keep_mlp=keep_mlp)
