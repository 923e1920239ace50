"""Transformer in Transformer (Han et al., NeurIPS 2021, arXiv 2103.00112).

An image is cut into *sentences* (16x16 patches, the outer tokens, width
``D``), each sentence into *words* (``m`` tokens of width ``c``, the inner
tokens). Parameter names are timm's; docs/design.md explains the layouts and
what this backbone adds to the references.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as cp
from mmcv.cnn.bricks import DropPath
from mmengine.model.weight_init import trunc_normal_
from mmpretrain.models.backbones.base_backbone import BaseBackbone

from mmtnt.checkpoint import adapt_state_dict
from mmtnt.ops import fused_inner_available, unavailable_reason
from mmtnt.registry import MODELS
from ..layers import SE, Attention, Mlp, pad_to_multiple, resize_grid_embed
from .backbone_mixin import BackboneMixin
from .tnt_fused_inner import fused_inner_forward

LAYOUTS = ('official', 'legacy')


class PixelEmbed(nn.Module):
    """Pixels to visual words: a 7x7 conv (stride ``inner_stride``) and a cut
    into sentences.

    ``official`` layout: cut the image into patches first, then convolve each
    patch on its own (zero padding at patch borders). ``legacy`` layout
    (mmpretrain's released TNT-S, timm ``legacy=True``): convolve the whole
    image, then cut. Both yield (B*N, m, c) word tokens.

    Args:
        in_channels (int): Image channels.
        inner_dims (int): Word width ``c``.
        patch_size (int): Sentence size in pixels.
        inner_stride (int): Conv stride; ``m = ceil(patch_size / inner_stride)
            ** 2``.
        layout (str): ``'official'`` or ``'legacy'``.
    """

    def __init__(self, in_channels, inner_dims, patch_size, inner_stride,
                 layout):
        super().__init__()
        self.patch_size = patch_size
        self.patch_first = layout == 'official'  # cut, then convolve
        self.inner_dims = inner_dims
        self.words_per_side = math.ceil(patch_size / inner_stride)
        self.proj = nn.Conv2d(
            in_channels,
            inner_dims,
            kernel_size=7,
            padding=3,
            stride=inner_stride)

    def forward(self, x, pixel_pos=None):
        B, C, H, W = x.shape
        p, s = self.patch_size, self.words_per_side
        gh, gw = H // p, W // p
        if self.patch_first:
            # (B, C, gh, p, gw, p) -> (B*gh*gw, C, p, p): Unfold without the
            # copy to (B, Cpp, N).
            x = x.reshape(B, C, gh, p, gw, p).permute(0, 2, 4, 1, 3,
                                                      5).reshape(-1, C, p, p)
            x = self.proj(x)
        else:
            x = self.proj(x)
            c = x.shape[1]
            x = x.reshape(B, c, gh, s, gw, s).permute(0, 2, 4, 1, 3,
                                                      5).reshape(-1, c, s, s)
        if pixel_pos is not None:
            x = x + pixel_pos
        return x.flatten(2).transpose(1, 2)


class TNTBlock(nn.Module):
    """One TNT block: inner transformer on words, words -> sentence, outer
    transformer.

    Args:
        outer_dims (int): Sentence width ``D``.
        inner_dims (int): Word width ``c``; 0 makes a plain transformer block
            (paper Table 5).
        outer_heads (int): Heads of the outer attention.
        inner_heads (int): Heads of the inner attention.
        num_words (int): Words per sentence ``m``.
        mlp_ratio (float): Outer MLP hidden ratio.
        inner_mlp_ratio (float): Inner MLP hidden ratio.
        qkv_bias (bool): Bias in q, k, v projections.
        drop_rate (float): Dropout after MLPs and attention projections.
        attn_drop_rate (float): Dropout on attention weights.
        drop_path_rate (float): Stochastic depth of both residual streams.
        layout (str): ``'official'``: LN(m*c) -> Linear(no bias) -> LN(D);
            ``'legacy'``: LN(c) per word -> Linear(bias).
        with_se (bool): SE on the outer MLP output (paper Table 12).
        fused_inner (bool | str): The fused CPU kernel for the inner
            transformer (:mod:`mmtnt.ops`): ``'auto'`` uses it where it
            applies (float32 on the CPU, no active dropout, not exported or
            JIT-traced; drop path and torch.compile are supported) and the
            eager modules elsewhere;
            ``True`` raises where it does not apply; ``False`` never uses it.
            The fused path computes the same function with the same weights;
            forward hooks on the inner modules do not run on it. Defaults to
            ``'auto'``.
    """

    def __init__(self,
                 outer_dims,
                 inner_dims,
                 outer_heads,
                 inner_heads,
                 num_words,
                 mlp_ratio=4.,
                 inner_mlp_ratio=4.,
                 qkv_bias=False,
                 drop_rate=0.,
                 attn_drop_rate=0.,
                 drop_path_rate=0.,
                 layout='official',
                 with_se=False,
                 fused_inner='auto'):
        super().__init__()
        if fused_inner not in (True, False, 'auto'):
            raise ValueError(
                f"TNTBlock: fused_inner must be True, False or 'auto', got {fused_inner!r}."  # noqa: E501
            )
        self.has_inner = inner_dims > 0
        # official: LN(m*c) -> Linear(no bias) -> LN(D); legacy: LN(c) per
        # word -> Linear(bias)
        self.norm_whole_sentence = layout == 'official'
        self.fused_inner = fused_inner
        if self.has_inner:
            self.norm_in = nn.LayerNorm(inner_dims)
            self.attn_in = Attention(
                inner_dims,
                inner_heads,
                qkv_bias=qkv_bias,
                attn_drop=attn_drop_rate,
                proj_drop=drop_rate,
                fold_heads=True)
            self.norm_mlp_in = nn.LayerNorm(inner_dims)
            self.mlp_in = Mlp(
                inner_dims, int(inner_dims * inner_mlp_ratio), drop=drop_rate)
            words_dims = num_words * inner_dims
            if self.norm_whole_sentence:
                self.norm1_proj = nn.LayerNorm(words_dims)
                self.proj = nn.Linear(words_dims, outer_dims, bias=False)
                self.norm2_proj = nn.LayerNorm(outer_dims)
            else:
                self.norm1_proj = nn.LayerNorm(inner_dims)
                self.proj = nn.Linear(words_dims, outer_dims, bias=True)
        self.norm_out = nn.LayerNorm(outer_dims)
        self.attn_out = Attention(
            outer_dims,
            outer_heads,
            qkv_bias=qkv_bias,
            attn_drop=attn_drop_rate,
            proj_drop=drop_rate)
        self.norm_mlp = nn.LayerNorm(outer_dims)
        self.mlp = Mlp(outer_dims, int(outer_dims * mlp_ratio), drop=drop_rate)
        self.se_layer = SE(outer_dims) if with_se else None
        self.drop_path = DropPath(
            drop_path_rate) if drop_path_rate > 0 else nn.Identity()

    def words_to_sentences(self, inner, batch_size):
        """(B*N, m, c) words -> (B, N, D) additions to the sentence tokens."""
        if self.norm_whole_sentence:
            x = inner.reshape(batch_size, -1, inner.shape[1] * inner.shape[2])
            return self.norm2_proj(self.proj(self.norm1_proj(x)))
        x = self.norm1_proj(inner)
        return self.proj(x.reshape(batch_size, -1, x.shape[1] * x.shape[2]))

    def fused_inner_blocker(self, inner):
        """Why the fused inner transformer cannot run on ``inner`` (a
        sentence), or None if it can."""
        if inner.device.type != 'cpu' or inner.dtype != torch.float32:
            return (
                f'it runs on float32 CPU tensors, got {inner.dtype} on {inner.device}'  # noqa: E501
            )
        if torch.is_autocast_enabled('cpu'):
            return 'CPU autocast is on'
        if torch.compiler.is_exporting() or torch.jit.is_tracing():
            return 'the model is being exported or traced'
        if self.training and any(
                p > 0 for p in (self.attn_in.attn_drop,
                                self.attn_in.proj_drop.p, self.mlp_in.drop.p)):
            return 'dropout is active (training mode)'
        if not fused_inner_available():
            return f'the extension did not build ({unavailable_reason()})'
        return None

    def _use_fused_inner(self, inner):
        if self.fused_inner is False:
            return False
        reason = self.fused_inner_blocker(inner)
        if reason is not None and self.fused_inner is True:
            raise RuntimeError(
                f"TNTBlock: fused_inner=True, but the fused inner transformer cannot run here: {reason}. Use fused_inner='auto' to fall back to the eager modules."  # noqa: E501
            )
        return reason is None

    def inner_eager(self, inner, outer):
        """Inner transformer and words -> sentences with the modules."""
        inner = inner + self.drop_path(self.attn_in(self.norm_in(inner)))
        inner = inner + self.drop_path(self.mlp_in(self.norm_mlp_in(inner)))
        sentences = self.words_to_sentences(inner, outer.shape[0])
        # Zero row for the class token instead of an in-place slice update
        # (export, autograd).
        return inner, outer + F.pad(sentences, (0, 0, 1, 0))

    def inner_fused(self, inner, outer):
        """The same with the fused kernel."""
        inner, normed = fused_inner_forward(self, inner)
        sentences = self.proj(normed.view(outer.shape[0], -1, normed.shape[1]))
        if self.norm_whole_sentence:
            sentences = self.norm2_proj(sentences)
        if torch.is_grad_enabled():
            return inner, outer + F.pad(sentences, (0, 0, 1, 0))
        summed = torch.empty_like(outer)  # one pass instead of pad + add
        summed[:, :1] = outer[:, :1]
        torch.add(outer[:, 1:], sentences, out=summed[:, 1:])
        return inner, summed

    def forward(self, inner, outer):
        if self.has_inner:
            if self._use_fused_inner(inner):
                inner, outer = self.inner_fused(inner, outer)
            else:
                inner, outer = self.inner_eager(inner, outer)
        outer = outer + self.drop_path(self.attn_out(self.norm_out(outer)))
        y = self.mlp(self.norm_mlp(outer))
        if self.se_layer is not None:
            y = y + self.se_layer(y)
        return inner, outer + self.drop_path(y)


@MODELS.register_module()
class TNT(BackboneMixin, BaseBackbone):
    """Transformer in Transformer backbone.

    Args:
        arch (str | dict): ``'ti'``/``'tiny'``, ``'s'``/``'small'``,
            ``'b'``/``'base'`` (paper Table 1) or a dict with ``inner_dims``,
            ``outer_dims``, ``num_layers``, ``inner_heads``, ``outer_heads``
            (and optionally ``mlp_ratio``, ``inner_mlp_ratio``). Defaults to
            ``'s'``.
        img_size (int | tuple): Size the sentence position encoding is stored
            for; other input sizes interpolate it at run time. Defaults to 224.
        patch_size (int): Sentence size in pixels. Defaults to 16.
        in_channels (int): Image channels. Defaults to 3.
        inner_stride (int): Stride of the word conv; words per sentence ``m =
            ceil(patch_size / inner_stride)**2`` (Table 8: 2 -> 64, 4 -> 16, 8
            -> 4). Defaults to 4.
        layout (str): Weight layout, ``'official'`` (default; official and timm
            checkpoints) or ``'legacy'`` (mmpretrain's released TNT-S, timm
            ``legacy=True``).
        qkv_bias (bool): Bias in q, k, v projections. Defaults to False.
        drop_rate (float): Dropout after position encodings, MLPs and
            projections. Defaults to 0.
        attn_drop_rate (float): Attention dropout. Defaults to 0.
        drop_path_rate (float): Stochastic depth, growing linearly to this
            value. Defaults to 0.
        with_sentence_pos (bool): Learnable sentence position encoding (Table
            6). Defaults to True.
        with_word_pos (bool): Word position encoding shared by all sentences
            (Table 6). Defaults to True.
        with_se (bool): SE module in every block (Table 12). Defaults to False.
        inner_block_indices (Sequence[int], optional): Blocks that keep the
            inner transformer; the others are plain transformer blocks (Table
            5's TNT-S-1..4). None means all.
        out_indices (int | Sequence[int]): Blocks whose output is returned.
            Defaults to -1.
        out_type (str): ``'cls_token'`` (B, D), ``'featmap'`` (B, D,
            ceil(H/16), ceil(W/16)), ``'avg_featmap'`` (B, D) or ``'raw'`` (B,
            1+N, D). Defaults to ``'cls_token'``.
        final_norm (bool): LayerNorm on the last block's output. Defaults to
            True.
        frozen_stages (int): Freeze the embeddings and this many blocks (-1:
            none). Defaults to -1.
        interpolate_mode (str): Mode for resizing the sentence position
            encoding. Defaults to ``'bicubic'``.
        with_cp (bool): Activation checkpointing per block while training.
            Defaults to False.
        fused_inner (bool | str): The fused CPU kernel for the inner
            transformer, ``'auto'``, ``True`` or ``False`` (see
            :class:`TNTBlock`). Defaults to ``'auto'``.
        init_cfg (dict | list[dict], optional): Initialisation config; Linear
            layers get truncated normal (std .02), LayerNorms ones/zeros by
            default.
    """

    arch_zoo = {
        **dict.fromkeys(['ti', 'tiny'],
                        dict(
                            inner_dims=12,
                            inner_heads=2,
                            outer_dims=192,
                            outer_heads=3,
                            num_layers=12)),
        **dict.fromkeys(['s', 'small'],
                        dict(
                            inner_dims=24,
                            inner_heads=4,
                            outer_dims=384,
                            outer_heads=6,
                            num_layers=12)),
        **dict.fromkeys(['b', 'base'],
                        dict(
                            inner_dims=40,
                            inner_heads=4,
                            outer_dims=640,
                            outer_heads=10,
                            num_layers=12)),
    }
    _arch_keys = {
        'inner_dims', 'inner_heads', 'outer_dims', 'outer_heads', 'num_layers'
    }
    OUT_TYPES = ('cls_token', 'featmap', 'avg_featmap', 'raw')

    def __init__(
        self,
        arch='s',
        img_size=224,
        patch_size=16,
        in_channels=3,
        inner_stride=4,
        layout='official',
        qkv_bias=False,
        drop_rate=0.,
        attn_drop_rate=0.,
        drop_path_rate=0.,
        with_sentence_pos=True,
        with_word_pos=True,
        with_se=False,
        inner_block_indices=None,
        out_indices=-1,
        out_type='cls_token',
        final_norm=True,
        frozen_stages=-1,
        interpolate_mode='bicubic',
        with_cp=False,
        fused_inner='auto',
        init_cfg=(dict(type='TruncNormal', layer='Linear', std=.02, bias=0.),
                  dict(type='Constant', layer='LayerNorm', val=1., bias=0.))):
        super().__init__(
            init_cfg=list(init_cfg) if isinstance(init_cfg, tuple
                                                  ) else init_cfg)
        self.arch_settings = self._parse_arch(arch)
        self._check_choices(layout=layout, out_type=out_type)
        a = self.arch_settings
        self.inner_dims, self.embed_dims = a['inner_dims'], a['outer_dims']
        self.num_layers = a['num_layers']
        self.layout = layout
        self.patch_size = patch_size
        self.img_size = (img_size, img_size) if isinstance(
            img_size, int) else tuple(img_size)
        self.grid_size = self._grid(self.img_size, patch_size)
        self.out_type = out_type
        self.final_norm = final_norm
        self.frozen_stages = frozen_stages
        self.interpolate_mode = interpolate_mode
        self.with_cp = with_cp

        self._build_embedding(in_channels, inner_stride, with_sentence_pos,
                              with_word_pos, drop_rate)
        self._build_blocks(
            inner_block_indices,
            drop_path_rate,
            qkv_bias=qkv_bias,
            drop_rate=drop_rate,
            attn_drop_rate=attn_drop_rate,
            layout=layout,
            with_se=with_se,
            fused_inner=fused_inner)
        self.norm = nn.LayerNorm(self.embed_dims) if final_norm else None
        self.out_indices = self._parse_out_indices(out_indices,
                                                   self.num_layers, 'blocks')
        self._freeze_stages()
        self.register_load_state_dict_pre_hook(self._adapt_checkpoint)

    def _check_choices(self, layout, out_type):
        if layout not in LAYOUTS:
            raise ValueError(
                f'TNT: layout must be one of {LAYOUTS}, got {layout!r}.')
        if out_type not in self.OUT_TYPES:
            raise ValueError(
                f'TNT: out_type must be one of {self.OUT_TYPES}, got {out_type!r}.'  # noqa: E501
            )

    @staticmethod
    def _grid(img_size, patch_size):
        """The sentence grid of an ``img_size`` image."""
        if img_size[0] % patch_size or img_size[1] % patch_size:
            raise ValueError(
                f'TNT: img_size {img_size} must be divisible by patch_size {patch_size}.'  # noqa: E501
            )
        return (img_size[0] // patch_size, img_size[1] // patch_size)

    def _build_embedding(self, in_channels, inner_stride, with_sentence_pos,
                         with_word_pos, drop_rate):
        """Padding, pixel embedding, words -> sentences, class token and the
        position encodings."""
        # Like mmseg's ViT and Swin: any input size, zero-padded at the bottom
        # and right.
        p = self.patch_size
        self.pixel_embed = PixelEmbed(in_channels, self.inner_dims, p,
                                      inner_stride, self.layout)
        s = self.pixel_embed.words_per_side
        self.num_words = s * s
        words_dims = self.num_words * self.inner_dims
        self.norm1_proj = nn.LayerNorm(words_dims)
        self.proj = nn.Linear(words_dims, self.embed_dims)
        self.norm2_proj = nn.LayerNorm(self.embed_dims)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, self.embed_dims))
        num_patches = self.grid_size[0] * self.grid_size[1]
        self.patch_pos = None
        if with_sentence_pos:
            self.patch_pos = nn.Parameter(
                torch.zeros(1, num_patches + 1, self.embed_dims))
        self.pixel_pos = None
        if with_word_pos:
            self.pixel_pos = nn.Parameter(
                torch.zeros(1, self.inner_dims, s, s))
        self.pos_drop = nn.Dropout(drop_rate)

    def _build_blocks(self, inner_block_indices, drop_path_rate, **block_args):
        """The blocks, with an inner transformer where
        ``inner_block_indices`` (None: all) say, drop path growing
        linearly."""
        a = self.arch_settings
        if inner_block_indices is None:
            inner_block_indices = range(self.num_layers)
        self.inner_block_indices = sorted(i % self.num_layers
                                          for i in inner_block_indices)
        dpr = torch.linspace(0, drop_path_rate, self.num_layers).tolist()
        self.blocks = nn.ModuleList([
            TNTBlock(
                outer_dims=self.embed_dims,
                inner_dims=self.inner_dims
                if i in self.inner_block_indices else 0,
                outer_heads=a['outer_heads'],
                inner_heads=a['inner_heads'],
                num_words=self.num_words,
                mlp_ratio=a.get('mlp_ratio', 4.),
                inner_mlp_ratio=a.get('inner_mlp_ratio', 4.),
                drop_path_rate=dpr[i],
                **block_args) for i in range(self.num_layers)
        ])

    def init_weights(self):
        # Not mmengine's PretrainedInit: ours reads every TNT format with or
        # without the 'backbone.' prefix and refuses a wrong layout instead
        # of loading half of it.
        if self._init_from_pretrained():
            return
        super().init_weights()
        for p in (self.cls_token, self.patch_pos, self.pixel_pos):
            if p is not None:
                trunc_normal_(p, std=.02)

    def adapt_state_dict(self, state_dict, prefix=''):
        """Make the ``prefix`` part of ``state_dict`` fit this backbone, in
        place: foreign formats are converted, a wrong layout, missing or
        misshapen weights raise and the sentence position encoding is resized
        to this grid (:func:`mmtnt.checkpoint.adapt_state_dict`)."""
        adapt_state_dict(self, state_dict, prefix)

    def sentence_pos(self, grid):
        """Sentence position encoding for a (h, w) grid, interpolated when it
        is not stored.
        """
        return resize_grid_embed(self.patch_pos, self.grid_size, grid,
                                 self.interpolate_mode, 1)

    def embed(self, x):
        """Image (B, 3, H, W) -> words (B*N, m, c), sentences (B, 1+N, D) and
        the grid (h, w).

        The grid covers the image padded to whole patches: (ceil(H / p), ceil(W
        / p)).
        """
        x = pad_to_multiple(x, self.patch_size)
        B, _, H, W = x.shape
        grid = (H // self.patch_size, W // self.patch_size)
        inner = self.pixel_embed(x, self.pixel_pos)
        outer = self.norm2_proj(
            self.proj(
                self.norm1_proj(inner.reshape(B, grid[0] * grid[1], -1))))
        outer = torch.cat((self.cls_token.expand(B, -1, -1), outer), dim=1)
        if self.patch_pos is not None:
            outer = outer + self.sentence_pos(grid)
        return inner, self.pos_drop(outer), grid

    def _format(self, x, grid):
        if self.out_type == 'raw':
            return x
        if self.out_type == 'cls_token':
            return x[:, 0]
        tokens = x[:, 1:]
        if self.out_type == 'avg_featmap':
            return tokens.mean(dim=1)
        B, _, D = tokens.shape
        # contiguous (B, D, h, w): mmcv's ops read a channels-last view wrongly
        return tokens.transpose(1, 2).reshape(B, D, *grid).contiguous()

    def forward(self, x):
        inner, outer, grid = self.embed(x)
        outs = []
        for i, block in enumerate(self.blocks):
            if self.with_cp and self.training:
                inner, outer = cp.checkpoint(
                    block, inner, outer, use_reentrant=False)
            else:
                inner, outer = block(inner, outer)
            if i == self.num_layers - 1 and self.norm is not None:
                outer = self.norm(outer)
            if i in self.out_indices:
                outs.append(self._format(outer, grid))
        return tuple(outs)

    def _freeze_stages(self):
        if self.frozen_stages < 0:
            return
        frozen = [
            self.pixel_embed, self.norm1_proj, self.proj, self.norm2_proj,
            self.pos_drop
        ]
        frozen += list(self.blocks[:self.frozen_stages])
        if self.frozen_stages >= self.num_layers and self.norm is not None:
            frozen.append(self.norm)
        self._freeze(frozen, (self.cls_token, self.patch_pos, self.pixel_pos))
