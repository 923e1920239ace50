"""Trans2Seg decode head (Xie et al., 2021) for mmseg 1.x, as the TNT paper
uses it (Table 11).

The data flow and the quirks of the original that are kept are described in
docs/design.md.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from mmengine.model.weight_init import trunc_normal_
from mmseg.models.backbones.vit import TransformerEncoderLayer
from mmseg.models.decode_heads.decode_head import BaseDecodeHead

from mmtnt.registry import MODELS
from ..layers import adaptive_avg_pool


def _mlp(dims, hidden):
    return nn.Sequential(
        nn.Linear(dims, hidden), nn.GELU(), nn.Linear(hidden, dims))


INIT_CFG = (dict(type='TruncNormal', layer='Linear', std=.02, bias=0.),
            dict(type='Constant', layer='LayerNorm', val=1., bias=0.))


class Trans2SegDecoderLayer(nn.Module):
    """Class queries attend to the encoder tokens; returns (attention logits,
    queries, tokens).

    Args:
        embed_dims (int): Token width E.
        num_heads (int): Attention heads.
        num_tokens (int): HW, the length of the token sequence (fixed: the MLP
            runs over it).
        mlp_ratio (float): Hidden width of the query/token MLPs relative to E;
            the attention-map MLP uses 3 * HW as in the original.
        qkv_bias (bool): Bias in the query and key/value projections.
        with_attn_mlp (bool): Refine the attention maps (only the last layer's
            are used).
        with_token_update (bool): Update queries and tokens for a next layer
            (the last layer's updates are never used).
    """

    def __init__(self,
                 embed_dims,
                 num_heads,
                 num_tokens,
                 mlp_ratio=3.,
                 qkv_bias=False,
                 with_attn_mlp=True,
                 with_token_update=True):
        super().__init__()
        self.with_attn_mlp = with_attn_mlp
        self.with_token_update = with_token_update
        self.num_heads = num_heads
        self.scale = (embed_dims // num_heads)**-0.5
        self.norm_query = nn.LayerNorm(embed_dims)
        self.norm_feat = nn.LayerNorm(embed_dims)
        self.fc_q = nn.Linear(embed_dims, embed_dims, bias=qkv_bias)
        self.fc_kv = nn.Linear(embed_dims, 2 * embed_dims, bias=qkv_bias)
        self.proj = nn.Linear(embed_dims,
                              embed_dims) if with_token_update else None
        hidden = int(embed_dims * mlp_ratio)
        if with_token_update:
            self.norm_query_mlp, self.query_mlp = nn.LayerNorm(
                embed_dims), _mlp(embed_dims, hidden)
            self.norm_feat_mlp, self.feat_mlp = nn.LayerNorm(embed_dims), _mlp(
                embed_dims, hidden)
        if with_attn_mlp:
            self.norm_attn_mlp = nn.LayerNorm(num_tokens)
            self.attn_mlp = _mlp(num_tokens, 3 * num_tokens)

    def cross_attention(self, query, feat):
        B, N, E = query.shape
        h = self.num_heads
        q = self.fc_q(query).reshape(B, h, N, E //
                                     h)  # no transpose: the original's reshape
        k, v = self.fc_kv(feat).reshape(B, feat.shape[1], 2, h,
                                        E // h).permute(2, 0, 3, 1, 4)
        # scaled before the product: float16 holds the logits (B, h, N, HW)
        logits = (q * self.scale) @ k.transpose(-2, -1)
        # the last layer: only its attention maps are used
        if self.proj is None:
            return logits.permute(0, 2, 1, 3), None
        out = (logits.softmax(dim=-1) @ v).reshape(B, N, E)
        return logits.permute(0, 2, 1, 3), self.proj(out)

    def forward(self, query, feat):
        attn, query = self.cross_attention(
            self.norm_query(query), self.norm_feat(feat))
        if self.with_token_update:
            query = query + query
            query = query + self.query_mlp(self.norm_query_mlp(query))
            feat = feat + feat
            feat = feat + self.feat_mlp(self.norm_feat_mlp(feat))
        if self.with_attn_mlp:
            attn = attn + attn
            attn = attn + self.attn_mlp(self.norm_attn_mlp(attn))
        return attn, query, feat


@MODELS.register_module()
class Trans2SegHead(BaseDecodeHead):
    """Trans2Seg decode head.

    Args:
        in_channels (Sequence[int]): Channels of the two inputs picked by
            ``in_index``: the high-resolution map (added before the last conv)
            and the encoder's map. Defaults to (384, 384) (TNT-S).
        channels (int): Hidden width of the convolutional head. Defaults to 64.
        num_classes (int): Classes, one decoder query each. Defaults to 150
            (ADE20K).
        in_index (Sequence[int]): Backbone outputs used as (high-resolution,
            encoder) input. Defaults to (0, 0): both from one stride-16 TNT
            map, as in the TNT paper.
        embed_dims (int): Transformer width. Defaults to 256.
        num_layers (int): Encoder layers, and as many decoder layers. Defaults
            to 4.
        num_heads (int): Attention heads. Defaults to 8.
        mlp_ratio (float): MLP hidden width relative to ``embed_dims``.
            Defaults to 3.
        token_grid (tuple[int, int]): Grid the encoder input is pooled to; its
            size HW is fixed by the decoder's attention-map MLP. Defaults to
            (16, 16).
        pos_grid (tuple[int, int]): Grid the encoder's position table is stored
            for (resized to ``token_grid`` in forward). Defaults to (32, 32) as
            in the original.
        qkv_bias (bool): Bias in q/k/v projections. Defaults to False.
        drop_path_rate (float): Stochastic depth of the encoder layers.
            Defaults to 0.
        keep_unused_layers (bool): Also build the original's decoder layers
            whose outputs are discarded (the attention-map MLPs of all but the
            last layer, the last layer's query and token MLPs: 1.97M parameters
            for the default). They change no output, only the parameter count
            (the paper's 32.1M includes them), and distributed training then
            needs ``find_unused_parameters=True``. Defaults to False.
        norm_cfg (dict): Norm of the convolutional head. Defaults to SyncBN.
        align_corners (bool): For every interpolation, including the final
            resize of the logits. Defaults to True (the original's).
        init_cfg (dict | list[dict], optional): Initialisation; Linear layers
            truncated normal (std .02), LayerNorms ones/zeros, convs mmcv's
            defaults.
        **kwargs: ``BaseDecodeHead`` arguments (``loss_decode``,
            ``ignore_index``, ...).

    Returns logits (B, num_classes, h, w) at the high-resolution input's size.
    """

    def __init__(self,
                 in_channels=(384, 384),
                 channels=64,
                 num_classes=150,
                 in_index=(0, 0),
                 embed_dims=256,
                 num_layers=4,
                 num_heads=8,
                 mlp_ratio=3.,
                 token_grid=(16, 16),
                 pos_grid=(32, 32),
                 qkv_bias=False,
                 drop_path_rate=0.,
                 keep_unused_layers=False,
                 norm_cfg=dict(type='SyncBN', requires_grad=True),
                 align_corners=True,
                 init_cfg=INIT_CFG,
                 **kwargs):
        kwargs.setdefault('dropout_ratio', 0.)
        super().__init__(
            list(in_channels),
            channels,
            num_classes=num_classes,
            in_index=list(in_index),
            input_transform='multiple_select',
            norm_cfg=norm_cfg,
            align_corners=align_corners,
            init_cfg=list(init_cfg)
            if isinstance(init_cfg, tuple) else init_cfg,
            **kwargs)
        # one shared 1-channel predictor instead of a per-class conv
        del self.conv_seg
        hires_channels, enc_channels = self.in_channels
        self.token_grid = tuple(token_grid)
        self.pos_grid = tuple(pos_grid)
        num_tokens = self.token_grid[0] * self.token_grid[1]

        self._build_transformer(embed_dims, enc_channels, num_layers,
                                num_heads, mlp_ratio, pos_grid, num_tokens,
                                qkv_bias, drop_path_rate, keep_unused_layers)
        conv = dict(norm_cfg=norm_cfg, act_cfg=dict(type='ReLU'))
        self.conv1 = DepthwiseSeparableConvModule(
            embed_dims + num_heads, channels, 3, padding=1, **conv)
        self.conv2 = DepthwiseSeparableConvModule(
            channels, channels, 3, padding=1, **conv)
        self.hires_proj = ConvModule(
            hires_channels, channels, 1, bias=False, **conv)
        self.conv3 = DepthwiseSeparableConvModule(
            channels, channels, 3, padding=1, **conv)
        self.pred = nn.Conv2d(channels, 1, 1)

    def _build_transformer(self, embed_dims, enc_channels, num_layers,
                           num_heads, mlp_ratio, pos_grid, num_tokens,
                           qkv_bias, drop_path_rate, keep_unused_layers):
        """Token embedding, encoder and decoder layers."""
        num_classes = self.num_classes
        self.embed = nn.Linear(enc_channels, embed_dims)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dims))
        self.pos_embed = nn.Parameter(
            torch.zeros(1, 1 + pos_grid[0] * pos_grid[1], embed_dims))
        dpr = torch.linspace(0, drop_path_rate, num_layers).tolist()
        self.encoder = nn.ModuleList([
            TransformerEncoderLayer(
                embed_dims,
                num_heads,
                int(mlp_ratio * embed_dims),
                drop_path_rate=dpr[i],
                qkv_bias=qkv_bias,
                batch_first=True,
                # Fresh dicts: mmcv's MultiheadAttention changes its default
                # dropout_layer once any config passes ``dropout`` (DETR's
                # 0.1), which would add dropout to every later build.
                attn_cfg=dict(dropout_layer=None),
                ffn_cfg=dict()) for i in range(num_layers)
        ])
        self.encoder_norm = nn.LayerNorm(embed_dims)
        self.class_embed = nn.Parameter(
            torch.zeros(1, num_classes, embed_dims))
        last = num_layers - 1
        self.decoder = nn.ModuleList([
            Trans2SegDecoderLayer(
                embed_dims,
                num_heads,
                num_tokens,
                mlp_ratio,
                qkv_bias,
                with_attn_mlp=keep_unused_layers or i == last,
                with_token_update=keep_unused_layers or i < last)
            for i in range(num_layers)
        ])

    def init_weights(self):
        super().init_weights()
        for p in (self.cls_token, self.pos_embed, self.class_embed):
            trunc_normal_(p, std=.02)

    def position_table(self):
        cls_pos, grid_pos = self.pos_embed[:, :1], self.pos_embed[:, 1:]
        if self.pos_grid == self.token_grid:
            return self.pos_embed
        grid_pos = grid_pos.reshape(1, *self.pos_grid, -1).permute(0, 3, 1, 2)
        grid_pos = F.interpolate(
            grid_pos, self.token_grid, mode='bilinear', align_corners=True)
        return torch.cat((cls_pos, grid_pos.flatten(2).transpose(1, 2)), dim=1)

    def encode(self, x):
        """(B, C, h, w) map -> tokens (B, HW, E) on the fixed grid."""
        x = adaptive_avg_pool(x, self.token_grid)
        x = self.embed(x.flatten(2).transpose(1, 2))
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        x = x + self.position_table()
        for layer in self.encoder:
            x = layer(x)
        return self.encoder_norm(x)[:, 1:]

    def decode(self, feat):
        """Tokens -> the last decoder layer's attention logits (B, classes,
        heads, HW).
        """
        query = self.class_embed.expand(feat.shape[0], -1, -1)
        for i, layer in enumerate(self.decoder):
            if i > 0:
                query = query + self.class_embed
            attn, query, feat = layer(query, feat)
        return attn

    def forward(self, inputs):
        hires, enc_input = self._transform_inputs(inputs)
        feat = self.encode(enc_input)
        attn = self.decode(feat)
        B, N, heads, _ = attn.shape
        gh, gw = self.token_grid
        feat_map = feat.transpose(1, 2).reshape(B, 1, -1, gh,
                                                gw).expand(-1, N, -1, -1, -1)
        x = torch.cat((feat_map, attn.reshape(B, N, heads, gh, gw)),
                      dim=2).flatten(0, 1)
        x = self.conv2(self.conv1(
            x))  # the same convs for every class: (B*N, channels, gh, gw)
        x = F.interpolate(
            x,
            size=hires.shape[2:],
            mode='bilinear',
            align_corners=self.align_corners)
        hires = self.hires_proj(hires)
        x = x + hires.unsqueeze(1).expand(-1, N, -1, -1, -1).flatten(0, 1)
        x = self.pred(self.conv3(x))
        return x.reshape(B, N, *x.shape[2:])
