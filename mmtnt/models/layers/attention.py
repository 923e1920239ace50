"""Multi-head self-attention with the official TNT parameter layout, run by fused SDPA."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    """Self-attention with separate ``qk`` and ``v`` projections (official/timm TNT names).

    Written by hand because mmcv's ``MultiheadAttention`` fuses q, k and v into one
    ``in_proj`` (a different checkpoint layout) and materialises the N x N weights, while
    ``F.scaled_dot_product_attention`` picks a fused kernel and never stores them: this matters
    for the 16-token inner sequences (B x 196 of them) and for 4,000+ outer tokens in detection.

    Args:
        dim (int): Token dimension.
        num_heads (int): Number of heads; ``dim`` must be divisible by it.
        qkv_bias (bool): Bias in the ``qk`` and ``v`` projections. Defaults to False.
        attn_drop (float): Dropout on the attention weights. Defaults to 0.
        proj_drop (float): Dropout after the output projection. Defaults to 0.
    """

    def __init__(self, dim, num_heads, qkv_bias=False, attn_drop=0., proj_drop=0.):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'Attention: dim {dim} is not divisible by num_heads {num_heads}.')
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.qk = nn.Linear(dim, dim * 2, bias=qkv_bias)
        self.v = nn.Linear(dim, dim, bias=qkv_bias)
        self.attn_drop = attn_drop
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def _heads(self, x):
        B, N, _ = x.shape
        qk = self.qk(x).reshape(B, N, 2, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        v = self.v(x).reshape(B, N, self.num_heads, self.head_dim).transpose(1, 2)
        return qk[0], qk[1], v

    def forward(self, x):
        B, N, C = x.shape
        q, k, v = self._heads(x)
        x = F.scaled_dot_product_attention(
            q, k, v, dropout_p=self.attn_drop if self.training else 0.)
        return self.proj_drop(self.proj(x.transpose(1, 2).reshape(B, N, C)))

    def attention_weights(self, x):
        """Softmax attention (B, heads, N, N) for visualisation; not used in forward."""
        q, k, _ = self._heads(x)
        return (q @ k.transpose(-2, -1) * self.head_dim**-0.5).softmax(dim=-1)
