"""PyramidTNT (Han et al., arXiv 2201.00978): TNT in four stages of sentences
at strides 8, 16, 32 and 64, with a conv stem, word and sentence merges
between stages and spatial-reduction outer attention.

Parameter names are the official ones (huawei-noah/Efficient-AI-Backbones,
``tnt_pytorch/pyramid_tnt.py``), so a released file is this backbone's state
dict plus ``head.*``; docs/pyramid_tnt.md lists the differences from TNT and
what this port adds (any input size, multi-level features).
"""
import re

import torch
import torch.nn as nn
from mmengine.model.weight_init import trunc_normal_
from mmpretrain.models.backbones.base_backbone import BaseBackbone

from mmtnt.checkpoint import adapt_pyramid_state_dict
from mmtnt.registry import MODELS
from ..layers import pad_to_multiple, resize_grid_embed
from .backbone_mixin import BackboneMixin
from .pyramid_tnt_parts import (NUM_WORDS, PyramidTNTBlock, SentenceMerge,
                                Stage, Stem, WordMerge, resize_attention_bias)

SR_RATIOS = (4, 2, 1, 1)
STEM_STRIDE = 8
# The official initialisation: truncated normal Linear layers, normal(0,
# sqrt(2 / fan_out)) convs, zero biases, LayerNorms ones/zeros.
INIT_CFG = (dict(type='TruncNormal', layer='Linear', std=.02, bias=0.),
            dict(
                type='Kaiming',
                layer='Conv2d',
                mode='fan_out',
                nonlinearity='relu',
                distribution='normal',
                bias=0.),
            dict(type='Constant', layer='LayerNorm', val=1., bias=0.))


def has_inner(index, depth):
    """Whether block ``index`` of a stage of ``depth`` blocks has an inner
    transformer: the first, and the second in stages deeper than 6."""
    return index == 0 or (index == 1 and depth > 6)


def stage_grids(img_size):
    """Sentence grids of the four stages for an (H, W) image."""
    grid = (-(-img_size[0] // STEM_STRIDE), -(-img_size[1] // STEM_STRIDE))
    grids = [grid]
    for _ in range(3):
        grid = (-(-grid[0] // 2), -(-grid[1] // 2))
        grids.append(grid)
    return grids


@MODELS.register_module()
class PyramidTNT(BackboneMixin, BaseBackbone):
    """PyramidTNT backbone.

    Args:
        arch (str | dict): ``'ti'``, ``'s'``, ``'m'``, ``'b'`` (the official
            variants; also ``'tiny'``, ``'small'``, ``'medium'``, ``'base'``)
            or a dict with ``depths``, ``outer_dims``, ``inner_dims``,
            ``outer_heads``, ``inner_heads`` (four values each). Defaults to
            ``'s'``.
        img_size (int | tuple, optional): Size the position encoding and the
            attention biases are stored for; other sizes resize them at run
            time. None: the variant's training size (192 for Ti, else 256).
        in_channels (int): Image channels. Defaults to 3.
        mlp_ratio (float): MLP hidden ratio. Defaults to 4.
        qkv_bias (bool): Bias in q and kv projections. Defaults to False.
        drop_rate (float): Dropout on the sentence position encoding, after
            MLPs and projections. Defaults to 0.
        attn_drop_rate (float): Attention dropout. Defaults to 0.
        drop_path_rate (float): Stochastic depth, growing linearly over all
            blocks to this value. Defaults to 0.
        out_indices (int | Sequence[int]): Stages (0-3) whose output is
            returned. Defaults to 3.
        out_type (str): ``'avg_featmap'`` (B, D) mean over sentences (the
            classification head's input), ``'featmap'`` (B, D_i, h_i, w_i) or
            ``'raw'`` (B, N_i, D_i). Defaults to ``'avg_featmap'``.
        final_norm (bool): LayerNorm on the last stage's output. Defaults to
            True.
        frozen_stages (int): Freeze the stem, position encodings and this many
            stages with their merges (-1: none). Defaults to -1.
        interpolate_mode (str): Mode for resizing the position encoding and
            attention biases. Defaults to ``'bicubic'``.
        with_cp (bool): Activation checkpointing per block while training.
            Defaults to False.
        init_cfg (dict | list[dict], optional): Initialisation config;
            defaults to the official scheme (truncated normal Linear, Kaiming
            fan-out convs, LayerNorm ones/zeros).
    """

    arch_zoo = {
        **dict.fromkeys(['ti', 'tiny'],
                        dict(
                            depths=(2, 6, 3, 2),
                            outer_dims=80,
                            inner_dims=5,
                            outer_heads=2,
                            inner_heads=1,
                            img_size=192)),
        **dict.fromkeys(['s', 'small'],
                        dict(
                            depths=(2, 8, 4, 2),
                            outer_dims=128,
                            inner_dims=8,
                            outer_heads=4,
                            inner_heads=2)),
        **dict.fromkeys(['m', 'medium'],
                        dict(
                            depths=(2, 8, 6, 2),
                            outer_dims=192,
                            inner_dims=12,
                            outer_heads=4,
                            inner_heads=2)),
        **dict.fromkeys(['b', 'base'],
                        dict(
                            depths=(2, 10, 6, 2),
                            outer_dims=256,
                            inner_dims=16,
                            outer_heads=4,
                            inner_heads=2)),
    }
    _arch_keys = ('depths', 'outer_dims', 'inner_dims', 'outer_heads',
                  'inner_heads')
    WIDTH_FACTORS = (1, 2, 4, 4)  # per stage, of each width and head count
    OUT_TYPES = ('avg_featmap', 'featmap', 'raw')

    def __init__(self,
                 arch='s',
                 img_size=None,
                 in_channels=3,
                 mlp_ratio=4.,
                 qkv_bias=False,
                 drop_rate=0.,
                 attn_drop_rate=0.,
                 drop_path_rate=0.,
                 out_indices=3,
                 out_type='avg_featmap',
                 final_norm=True,
                 frozen_stages=-1,
                 interpolate_mode='bicubic',
                 with_cp=False,
                 init_cfg=INIT_CFG):
        super().__init__(
            init_cfg=list(init_cfg) if isinstance(init_cfg, tuple
                                                  ) else init_cfg)
        a = self._parse_arch(arch)
        if out_type not in self.OUT_TYPES:
            raise ValueError(
                f'PyramidTNT: out_type must be one of {self.OUT_TYPES}, got {out_type!r}.'  # noqa: E501
            )
        img_size = img_size or a.get('img_size', 256)
        self.img_size = (img_size, img_size) if isinstance(
            img_size, int) else tuple(img_size)
        self.depths = tuple(a['depths'])
        self.outer_dims = [a['outer_dims'] * f for f in self.WIDTH_FACTORS]
        self.inner_dims = [a['inner_dims'] * f for f in self.WIDTH_FACTORS]
        self.embed_dims = self.outer_dims[-1]
        self.out_indices = self._parse_out_indices(out_indices, 4, 'stages')
        self.out_type = out_type
        self.frozen_stages = frozen_stages
        self.interpolate_mode = interpolate_mode
        grids = stage_grids(self.img_size)
        self.grid_size = grids[0]

        self._build_embedding(in_channels, grids[0], drop_rate)
        self._build_stages(
            a,
            grids,
            drop_path_rate,
            interpolate_mode,
            with_cp,
            mlp_ratio=mlp_ratio,
            qkv_bias=qkv_bias,
            drop_rate=drop_rate,
            attn_drop_rate=attn_drop_rate)
        self.norm = nn.LayerNorm(self.embed_dims) if final_norm else None
        self._freeze_stages()
        self.register_load_state_dict_pre_hook(self._adapt_checkpoint)

    def _build_embedding(self, in_channels, grid, drop_rate):
        """Padding, stem, position encodings and the merges between
        stages."""
        self.patch_embed = Stem(in_channels, self.inner_dims[0],
                                self.outer_dims[0])
        self.outer_pos = nn.Parameter(
            torch.zeros(1, grid[0] * grid[1], self.outer_dims[0]))
        self.inner_pos = nn.Parameter(
            torch.zeros(1, NUM_WORDS, self.inner_dims[0]))
        self.pos_drop = nn.Dropout(drop_rate)
        self.word_merges = nn.ModuleList(
            WordMerge(i, o)
            for i, o in zip(self.inner_dims[:-1], self.inner_dims[1:]))
        self.sentence_merges = nn.ModuleList(
            SentenceMerge(i, o)
            for i, o in zip(self.outer_dims[:-1], self.outer_dims[1:]))

    def _build_stages(self, arch, grids, drop_path_rate, interpolate_mode,
                      with_cp, **block_args):
        """The four stages; drop path grows linearly over all blocks."""
        dpr = torch.linspace(0, drop_path_rate, sum(self.depths)).tolist()
        self.stages = nn.ModuleList()
        for i, depth in enumerate(self.depths):
            heads = (arch['outer_heads'] * self.WIDTH_FACTORS[i],
                     arch['inner_heads'] * self.WIDTH_FACTORS[i])
            first = sum(self.depths[:i])
            blocks = [
                PyramidTNTBlock(
                    self.outer_dims[i],
                    self.inner_dims[i] if has_inner(j, depth) else 0,
                    *heads,
                    SR_RATIOS[i],
                    drop_path_rate=dpr[first + j],
                    **block_args) for j in range(depth)
            ]
            self.stages.append(
                Stage(blocks, heads[0], grids[i], SR_RATIOS[i],
                      interpolate_mode, with_cp))

    def init_weights(self):
        if self._init_from_pretrained():
            return
        super().init_weights()
        trunc_normal_(self.outer_pos, std=.02)
        trunc_normal_(self.inner_pos, std=.02)

    def adapt_state_dict(self, state_dict, prefix=''):
        """Make the ``prefix`` part of ``state_dict`` fit this backbone, in
        place: a TNT checkpoint, missing or misshapen weights raise; the
        position encoding and attention biases are resized to this model's
        grids (:func:`mmtnt.checkpoint.adapt_pyramid_state_dict`)."""
        adapt_pyramid_state_dict(self, state_dict, prefix)

    def resized_from_checkpoint(self, key, value):
        """A checkpoint's ``outer_pos`` or ``stages.i.relative_pos``, trained
        on a square grid, resized to this model's grids; any other value, or
        one of another width or head count, as it is."""
        if key == 'outer_pos' and value.shape[-1] == self.outer_pos.shape[-1]:
            side = int(round(value.shape[1]**0.5))
            if side * side == value.shape[1] and value.shape != (
                    self.outer_pos.shape):
                return resize_grid_embed(value, (side, side), self.grid_size,
                                         self.interpolate_mode, 0)
        match = re.fullmatch(r'stages\.(\d)\.relative_pos', key)
        if match and int(match.group(1)) < len(self.stages):
            stage = self.stages[int(match.group(1))]
            own = stage.relative_pos
            sides = [int(round(n**0.5)) for n in value.shape[2:]]
            if (value.dim() == 4 and value.shape[1] == own.shape[1]
                    and value.shape != own.shape
                    and all(s * s == n
                            for s, n in zip(sides, value.shape[2:]))):
                return resize_attention_bias(value, ((sides[0], ) * 2,
                                                     (sides[1], ) * 2),
                                             (stage.grid, stage.key_grid),
                                             self.interpolate_mode)
        return value

    def sentence_pos(self, grid):
        """``outer_pos`` for a sentence ``grid``, resized when not stored."""
        return resize_grid_embed(self.outer_pos, self.grid_size, grid,
                                 self.interpolate_mode, 0)

    def _format(self, sentences, grid):
        if self.out_type == 'raw':
            return sentences
        if self.out_type == 'avg_featmap':
            return sentences.mean(dim=1)
        B, _, D = sentences.shape
        # contiguous (B, D, h, w): mmcv's ops read a channels-last view wrongly
        return sentences.transpose(1, 2).reshape(B, D, *grid).contiguous()

    def forward(self, x):
        # sides to multiples of 8, at the bottom and right
        x = pad_to_multiple(x, STEM_STRIDE)
        words, sentences, grid = self.patch_embed(x)
        words = words + self.inner_pos
        sentences = sentences + self.pos_drop(self.sentence_pos(grid))
        outs = []
        for i, stage in enumerate(self.stages):
            if i > 0:
                words = self.word_merges[i - 1](words, grid)
                sentences, grid = self.sentence_merges[i - 1](sentences, grid)
            words, sentences = stage(words, sentences, grid)
            if i == 3 and self.norm is not None:
                sentences = self.norm(sentences)
            if i in self.out_indices:
                outs.append(self._format(sentences, grid))
        return tuple(outs)

    def _freeze_stages(self):
        if self.frozen_stages < 0:
            return
        frozen = [self.patch_embed, self.pos_drop]
        frozen += list(self.stages[:self.frozen_stages])
        merges = max(self.frozen_stages - 1, 0)  # merges before a stage
        frozen += list(self.word_merges[:merges])
        frozen += list(self.sentence_merges[:merges])
        if self.frozen_stages >= 4 and self.norm is not None:
            frozen.append(self.norm)
        self._freeze(frozen, (self.outer_pos, self.inner_pos))
