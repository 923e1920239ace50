import torch
import torch.nn as nn
import torch.nn.functional as F


class SRAttention(nn.Module):
    """Multi-head attention with spatial reduction of keys and values and an
    optional additive bias on the logits (PVT's SRA as PyramidTNT uses it).

    Parameter names are the official PyramidTNT ones: ``q`` and ``kv``
    projections, ``proj``; with ``sr_ratio > 1`` keys and values come from
    ``norm(linear(avgpool(x)))``.

    Args:
        dims (int): Token width.
        num_heads (int): Attention heads.
        sr_ratio (int): Side of the average pooling of keys and values; 1
            attends to every token. Defaults to 1.
        qkv_bias (bool): Bias in ``q`` and ``kv``. Defaults to False.
        attn_drop (float): Dropout on attention weights. Defaults to 0.
        proj_drop (float): Dropout after ``proj``. Defaults to 0.
    """

    def __init__(self,
                 dims,
                 num_heads,
                 sr_ratio=1,
                 qkv_bias=False,
                 attn_drop=0.,
                 proj_drop=0.):
        super().__init__()
        if dims % num_heads:
            raise ValueError(
                f'SRAttention: dims {dims} must be divisible by num_heads {num_heads}.'  # noqa: E501
            )
        self.num_heads = num_heads
        self.sr_ratio = sr_ratio
        self.attn_drop = attn_drop
        self.q = nn.Linear(dims, dims, bias=qkv_bias)
        self.kv = nn.Linear(dims, dims * 2, bias=qkv_bias)
        self.proj = nn.Linear(dims, dims)
        self.proj_drop = nn.Dropout(proj_drop)
        if sr_ratio > 1:
            self.pool = nn.AvgPool2d(sr_ratio, stride=sr_ratio)
            self.linear = nn.Linear(dims, dims)
            self.norm = nn.LayerNorm(dims)

    def key_grid(self, grid):
        """The (h, w) grid of keys for a (h, w) grid of queries."""
        return (grid[0] // self.sr_ratio, grid[1] // self.sr_ratio)

    def forward(self, x, grid=None, bias=None):
        """(B, N, C) tokens on a ``grid`` (needed when ``sr_ratio > 1``) and
        an optional (1, heads, N, M) logit bias -> (B, N, C)."""
        B, N, C = x.shape
        heads = self.num_heads
        q = self.q(x).reshape(B, N, heads, C // heads).transpose(1, 2)
        if self.sr_ratio > 1:
            x = self.pool(x.transpose(1, 2).reshape(B, C, *grid))
            x = self.norm(self.linear(x.flatten(2).transpose(1, 2)))
        # (2, B, heads, M, C / heads)
        k, v = self.kv(x).reshape(B, -1, 2, heads,
                                  C // heads).permute(2, 0, 3, 1, 4)
        if bias is not None:
            bias = bias.to(q.dtype)
        x = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=bias,
            dropout_p=self.attn_drop if self.training else 0.)
        if torch.compiler.is_exporting():
            # (B, heads, N, d) -> (B, N, heads * d) without a view, which the
            # exporter cannot prove valid for a symbolic N
            x = torch.cat(x.unbind(1), dim=-1)
        else:
            x = x.transpose(1, 2).reshape(B, N, C)
        return self.proj_drop(self.proj(x))
