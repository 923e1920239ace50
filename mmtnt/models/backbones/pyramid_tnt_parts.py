"""The pieces of PyramidTNT (arXiv 2201.00978) below the backbone: the conv
stem, the block, the stage and the word and sentence merges between stages.

Sentences are (B, N, D) tokens on an (h, w) grid; each sentence holds 16
words, a 4x4 grid of (c)-wide tokens, held as (B*N, 16, c). Parameter names are
the official ones (docs/pyramid_tnt.md).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as cp
from mmcv.cnn.bricks import DropPath

from ..layers import Mlp, SRAttention

WORDS_PER_SIDE = 4
NUM_WORDS = WORDS_PER_SIDE**2


def conv_bn_relu(in_channels, out_channels, stride):
    """A 3x3 conv (with bias, as released), BN and ReLU, as a list."""
    return [
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1),
        nn.BatchNorm2d(out_channels),
        nn.ReLU()
    ]


class Stem(nn.Module):
    """Image (B, 3, H, W), sides multiples of 8 -> words (B*N, 16, c) from the
    stride-2 map cut 4x4, sentences (B, N, D) from the stride-8 map, and the
    (H/8, W/8) grid.

    Args:
        in_channels (int): Image channels.
        inner_dims (int): Word width ``c``.
        outer_dims (int): Sentence width ``D``.
    """

    def __init__(self, in_channels, inner_dims, outer_dims):
        super().__init__()
        c = inner_dims
        self.common_conv = nn.Sequential(*conv_bn_relu(in_channels, 2 * c, 2))
        self.inner_convs = nn.Sequential(*conv_bn_relu(2 * c, c, 1))
        self.outer_convs = nn.Sequential(*conv_bn_relu(2 * c, 4 * c, 2),
                                         *conv_bn_relu(4 * c, 8 * c, 2),
                                         *conv_bn_relu(8 * c, outer_dims, 1))

    def forward(self, x):
        x = self.common_conv(x)  # (B, 2c, H/2, W/2)
        words = self.inner_convs(x)
        B, c, H, W = words.shape
        h, w, s = H // WORDS_PER_SIDE, W // WORDS_PER_SIDE, WORDS_PER_SIDE
        # (B, c, h, 4, w, 4) -> (B, h, w, 4, 4, c) -> (B*h*w, 16, c)
        words = words.reshape(B, c, h, s, w, s).permute(0, 2, 4, 3, 5, 1)
        words = words.reshape(B * h * w, NUM_WORDS, c)
        sentences = self.outer_convs(x).flatten(2).transpose(1, 2)
        return words, sentences, (h, w)


class PyramidTNTBlock(nn.Module):
    """An outer (sentence) transformer block with spatial-reduction attention,
    preceded by an inner (word) transformer when ``inner_dims > 0``.

    The inner LayerNorms span all 16 words of a sentence (16c), not one word
    as in TNT; the words -> sentence addition has no drop path.

    Args:
        outer_dims (int): Sentence width ``D``.
        inner_dims (int): Word width ``c``; 0 for an outer-only block.
        outer_heads (int): Heads of the outer attention.
        inner_heads (int): Heads of the inner attention.
        sr_ratio (int): Key/value pooling of the outer attention.
        mlp_ratio (float): MLP hidden ratio of both transformers.
        qkv_bias (bool): Bias in the q and kv projections.
        drop_rate (float): Dropout after MLPs and attention projections.
        attn_drop_rate (float): Dropout on attention weights.
        drop_path_rate (float): Stochastic depth of the residual branches.
    """

    def __init__(self,
                 outer_dims,
                 inner_dims,
                 outer_heads,
                 inner_heads,
                 sr_ratio,
                 mlp_ratio=4.,
                 qkv_bias=False,
                 drop_rate=0.,
                 attn_drop_rate=0.,
                 drop_path_rate=0.):
        super().__init__()
        drops = dict(attn_drop=attn_drop_rate, proj_drop=drop_rate)
        self.has_inner = inner_dims > 0
        if self.has_inner:
            words_dims = NUM_WORDS * inner_dims
            self.inner_norm1 = nn.LayerNorm(words_dims)
            self.inner_attn = SRAttention(
                inner_dims, inner_heads, qkv_bias=qkv_bias, **drops)
            self.inner_norm2 = nn.LayerNorm(words_dims)
            self.inner_mlp = Mlp(
                inner_dims, int(inner_dims * mlp_ratio), drop=drop_rate)
            self.proj_norm1 = nn.LayerNorm(words_dims)
            self.proj = nn.Linear(words_dims, outer_dims, bias=False)
            self.proj_norm2 = nn.LayerNorm(outer_dims)
        self.outer_norm1 = nn.LayerNorm(outer_dims)
        self.outer_attn = SRAttention(
            outer_dims, outer_heads, sr_ratio, qkv_bias=qkv_bias, **drops)
        self.outer_norm2 = nn.LayerNorm(outer_dims)
        self.outer_mlp = Mlp(
            outer_dims, int(outer_dims * mlp_ratio), drop=drop_rate)
        self.drop_path = DropPath(
            drop_path_rate) if drop_path_rate > 0 else nn.Identity()

    @staticmethod
    def _sentence_norm(norm, words, batch_size):
        """LayerNorm over each sentence's 16 words together."""
        x = norm(
            words.reshape(batch_size, -1, words.shape[1] * words.shape[2]))
        return x.reshape(words.shape)

    def forward(self, words, sentences, grid, bias):
        B = sentences.shape[0]
        if self.has_inner:
            x = self._sentence_norm(self.inner_norm1, words, B)
            words = words + self.drop_path(self.inner_attn(x))
            x = self._sentence_norm(self.inner_norm2, words, B)
            words = words + self.drop_path(self.inner_mlp(x))
            x = self.proj_norm1(words.reshape(B, sentences.shape[1], -1))
            sentences = sentences + self.proj_norm2(self.proj(x))
        x = self.outer_attn(self.outer_norm1(sentences), grid, bias)
        sentences = sentences + self.drop_path(x)
        x = self.outer_mlp(self.outer_norm2(sentences))
        return words, sentences + self.drop_path(x)


class WordMerge(nn.Module):
    """Words of each 2x2 block of sentences, an 8x8 grid, to the 4x4 words of
    the merged sentence: LayerNorm, then a 3x3 stride-2 conv within the block.
    A grid of odd height or width is zero-padded at the bottom or right.

    Args:
        in_dims (int): Word width before.
        out_dims (int): Word width after.
    """

    def __init__(self, in_dims, out_dims):
        super().__init__()
        self.norm = nn.LayerNorm(in_dims)
        self.conv = nn.Sequential(
            nn.Conv2d(in_dims, out_dims, 3, stride=2, padding=1))

    def forward(self, words, grid):
        """(B*h*w, 16, c) words on an (h, w) sentence grid -> (B*h'*w', 16,
        c') with h' = ceil(h / 2), w' = ceil(w / 2)."""
        h, w = grid
        s, c = WORDS_PER_SIDE, words.shape[-1]
        x = self.norm(words).reshape(-1, h, w, s, s, c)
        x = F.pad(x, (0, 0, 0, 0, 0, 0, 0, w % 2, 0, h % 2))
        B, H, W = x.shape[:3]
        # (B, H/2, row, W/2, col, 4, 4, c) -> (B, H/2, W/2, c, row, 4, col, 4)
        x = x.reshape(B, H // 2, 2, W // 2, 2, s, s, c)
        x = x.permute(0, 1, 3, 7, 2, 5, 4, 6).reshape(-1, c, 2 * s, 2 * s)
        return self.conv(x).flatten(2).transpose(1, 2)


class SentenceMerge(nn.Module):
    """Sentences (B, h*w, D) -> (B, h'*w', D'): LayerNorm, then a 3x3
    stride-2 conv over the grid; h' = ceil(h / 2), w' = ceil(w / 2).

    Args:
        in_dims (int): Sentence width before.
        out_dims (int): Sentence width after.
    """

    def __init__(self, in_dims, out_dims):
        super().__init__()
        self.norm = nn.LayerNorm(in_dims)
        self.conv = nn.Sequential(
            nn.Conv2d(in_dims, out_dims, 3, stride=2, padding=1))

    def forward(self, sentences, grid):
        B, _, D = sentences.shape
        x = self.norm(sentences).transpose(1, 2).reshape(B, D, *grid)
        x = self.conv(x)
        return x.flatten(2).transpose(1, 2), tuple(x.shape[-2:])


def resize_attention_bias(bias, src, dst, mode='bicubic'):
    """A (1, heads, Nq, Nk) logit bias over a grid of queries and a grid of
    keys, resized from ``src`` to ``dst`` grids.

    Args:
        bias (Tensor): (1, heads, qh*qw, kh*kw).
        src (tuple): ((qh, qw), (kh, kw)) of ``bias``.
        dst (tuple): ((qh', qw'), (kh', kw')) wanted.
        mode (str): Interpolation mode.

    Returns:
        Tensor: (1, heads, qh'*qw', kh'*kw').
    """
    (qh, qw), (kh, kw) = src
    (dqh, dqw), (dkh, dkw) = dst
    heads = bias.shape[1]
    x = bias.reshape(heads, qh * qw, kh, kw)  # queries as channels
    # both resizes always run: identities at equal sizes, and an exported
    # graph keeps them for every size
    x = F.interpolate(x, (dkh, dkw), mode=mode, align_corners=False)
    x = x.reshape(heads, qh, qw, dkh * dkw).permute(0, 3, 1, 2)
    x = F.interpolate(x, (dqh, dqw), mode=mode, align_corners=False)
    return x.permute(0, 2, 3, 1).reshape(1, heads, dqh * dqw, dkh * dkw)


class Stage(nn.Module):
    """The blocks of one stage and the learned bias on their outer attention
    logits (``relative_pos``: one dense bias per query and pooled key, shared
    by the stage's blocks, stored for ``grid`` and resized for others).

    Args:
        blocks (list[PyramidTNTBlock]): The blocks.
        heads (int): Outer attention heads.
        grid (tuple[int, int]): Sentence grid the bias is stored for.
        sr_ratio (int): Key/value pooling of the outer attention.
        interpolate_mode (str): Mode for resizing the bias.
        with_cp (bool): Activation checkpointing per block while training.
    """

    def __init__(self, blocks, heads, grid, sr_ratio, interpolate_mode,
                 with_cp):
        super().__init__()
        self.blocks = nn.ModuleList(blocks)
        self.grid = tuple(grid)
        self.key_grid = (grid[0] // sr_ratio, grid[1] // sr_ratio)
        self.sr_ratio = sr_ratio
        self.interpolate_mode = interpolate_mode
        self.with_cp = with_cp
        self.relative_pos = nn.Parameter(
            torch.randn(1, heads, grid[0] * grid[1],
                        self.key_grid[0] * self.key_grid[1]))

    def attention_bias(self, grid):
        """``relative_pos`` for a sentence ``grid``."""
        grid = tuple(grid)
        key_grid = (grid[0] // self.sr_ratio, grid[1] // self.sr_ratio)
        if min(key_grid) < 1:
            raise ValueError(
                f'PyramidTNT: a {grid[0]}x{grid[1]} sentence grid is smaller than the spatial reduction {self.sr_ratio} of its stage; feed images of at least 32x32 pixels.'  # noqa: E501
            )
        tracing = torch.compiler.is_exporting() or torch.jit.is_tracing()
        if grid == self.grid and not tracing:
            return self.relative_pos
        return resize_attention_bias(self.relative_pos,
                                     (self.grid, self.key_grid),
                                     (grid, key_grid), self.interpolate_mode)

    def forward(self, words, sentences, grid):
        bias = self.attention_bias(grid)
        for block in self.blocks:
            if self.with_cp and self.training:
                words, sentences = cp.checkpoint(
                    block, words, sentences, grid, bias, use_reentrant=False)
            else:
                words, sentences = block(words, sentences, grid, bias)
        return words, sentences
