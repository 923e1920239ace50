"""Multi-head self-attention with the official TNT parameter layout (``qk`` and
``v``).

For short sequences (the inner attention) heads can be folded into the weights;
the design is in docs/design.md.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint


class Attention(nn.Module):
    """Self-attention with separate ``qk`` and ``v`` projections (official/timm
    TNT names).

    Args:
        dim (int): Token dimension.
        num_heads (int): Number of heads; ``dim`` must be divisible by it.
        qkv_bias (bool): Bias in the ``qk`` and ``v`` projections. Defaults to
            False.
        attn_drop (float): Dropout on the attention weights. Defaults to 0.
        proj_drop (float): Dropout after the output projection. Defaults to 0.
        fold_heads (bool): The short-sequence path for TNT's inner attention:
            folded heads when grad mode is off, checkpointed explicit attention
            when it is on, instead of SDPA. Needs ``qkv_bias=False`` (the only
            setting TNT uses) and falls back to SDPA otherwise. Defaults to
            False.
    """

    def __init__(self,
                 dim,
                 num_heads,
                 qkv_bias=False,
                 attn_drop=0.,
                 proj_drop=0.,
                 fold_heads=False):
        super().__init__()
        if dim % num_heads:
            raise ValueError(
                f'Attention: dim {dim} is not divisible by num_heads {num_heads}.'  # noqa: E501
            )
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.qk = nn.Linear(dim, dim * 2, bias=qkv_bias)
        self.v = nn.Linear(dim, dim, bias=qkv_bias)
        self.attn_drop = attn_drop
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        self.fold_heads = fold_heads and not qkv_bias

    def _heads(self, x):
        B, N, _ = x.shape
        qk = self.qk(x).reshape(B, N, 2, self.num_heads,
                                self.head_dim).permute(2, 0, 3, 1, 4)
        v = self.v(x).reshape(B, N, self.num_heads,
                              self.head_dim).transpose(1, 2)
        return qk[0], qk[1], v

    def forward(self, x):
        if self.fold_heads and not torch.is_grad_enabled():
            return self.proj_drop(self._forward_folded(x))
        B, N, C = x.shape
        q, k, v = self._heads(x)
        if self.fold_heads:
            x = checkpoint(
                self._explicit_attention, q, k, v, use_reentrant=False)
        else:
            x = F.scaled_dot_product_attention(
                q, k, v, dropout_p=self.attn_drop if self.training else 0.)
        return self.proj_drop(self.proj(x.transpose(1, 2).reshape(B, N, C)))

    def _explicit_attention(self, q, k, v):
        attn = ((q * self.head_dim**-0.5) @ k.transpose(-2, -1)).softmax(
            dim=-1)
        if self.training and self.attn_drop > 0:
            attn = F.dropout(
                attn, self.attn_drop)  # checkpoint replays the same mask
        return attn @ v

    def _folded_weights(self):
        h, d = self.num_heads, self.head_dim
        C = h * d
        wq, wk = self.qk.weight.view(2, h, d, C).unbind(0)
        # Rows (h, o): score weights A_h = scale * Wq_h^T Wk_h and output
        # weights Wp_h Wv_h.
        score_w = torch.matmul(wq.transpose(1, 2) * d**-0.5,
                               wk).reshape(h * C, C)
        out_w = torch.matmul(
            self.proj.weight.view(C, h, d).transpose(0, 1),
            self.v.weight.view(h, d, C)).reshape(h * C, C)
        return score_w, out_w

    def _forward_folded(self, x):
        B, N, C = x.shape
        h = self.num_heads
        score_w, out_w = self._folded_weights()
        keys = F.linear(x, score_w).view(B, N * h, C)  # row (j, h): A_h x_j
        values = F.linear(x, out_w).view(B, N * h,
                                         C)  # row (j, h): Wp_h Wv_h x_j
        scores = torch.bmm(keys, x.transpose(1, 2))  # (B, (j, h), i)
        attn = scores.view(B, N, h * N).softmax(dim=1)  # over the keys j
        if self.training and self.attn_drop > 0:
            attn = F.dropout(attn, self.attn_drop)
        return torch.baddbmm(self.proj.bias,
                             attn.view(B, N * h, N).transpose(1, 2), values)

    def attention_weights(self, x):
        """Softmax attention (B, heads, N, N) for visualisation; not used in
        forward.
        """
        q, k, _ = self._heads(x)
        return ((q * self.head_dim**-0.5) @ k.transpose(-2, -1)).softmax(
            dim=-1)
