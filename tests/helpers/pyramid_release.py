"""PyramidTNT release files as the official code writes them, made from the
documented key layout (docs/pyramid_tnt.md, "Official key layout"), not from
mmtnt's model: a flat state dict of the variant's names and shapes, written as
``.pth.tar``. The official weights are on Baidu Pan only, out of reach here."""
import re
from collections import OrderedDict

import torch

from tests.helpers.hand_counts import PYRAMID_TNT, SR_RATIOS


def _bn(prefix, channels, out):
    out[prefix + 'weight'] = (channels, )
    out[prefix + 'bias'] = (channels, )
    out[prefix + 'running_mean'] = (channels, )
    out[prefix + 'running_var'] = (channels, )
    out[prefix + 'num_batches_tracked'] = ()


def _conv(prefix, i, o, out):
    out[prefix + 'weight'] = (o, i, 3, 3)
    out[prefix + 'bias'] = (o, )


def _linear(prefix, i, o, out, bias=True):
    out[prefix + 'weight'] = (o, i)
    if bias:
        out[prefix + 'bias'] = (o, )


def _norm(prefix, dims, out):
    out[prefix + 'weight'] = (dims, )
    out[prefix + 'bias'] = (dims, )


def _stem(c, D, out):
    for name, i, o in (('common_conv.0', 3, 2 * c), ('inner_convs.0', 2 * c,
                                                     c), ('outer_convs.0',
                                                          2 * c, 4 * c),
                       ('outer_convs.3', 4 * c, 8 * c), ('outer_convs.6',
                                                         8 * c, D)):
        _conv(f'patch_embed.{name}.', i, o, out)
        index = int(name[-1]) + 1  # the BN after each conv
        _bn(f'patch_embed.{name[:-1]}{index}.', o, out)


def _block(prefix, D, c, inner, reduced, out):
    if inner:
        words = 16 * c
        _norm(prefix + 'inner_norm1.', words, out)
        _linear(prefix + 'inner_attn.q.', c, c, out, bias=False)
        _linear(prefix + 'inner_attn.kv.', c, 2 * c, out, bias=False)
        _linear(prefix + 'inner_attn.proj.', c, c, out)
        _norm(prefix + 'inner_norm2.', words, out)
        _linear(prefix + 'inner_mlp.fc1.', c, 4 * c, out)
        _linear(prefix + 'inner_mlp.fc2.', 4 * c, c, out)
        _norm(prefix + 'proj_norm1.', words, out)
        _linear(prefix + 'proj.', words, D, out, bias=False)
        _norm(prefix + 'proj_norm2.', D, out)
    _norm(prefix + 'outer_norm1.', D, out)
    _linear(prefix + 'outer_attn.q.', D, D, out, bias=False)
    _linear(prefix + 'outer_attn.kv.', D, 2 * D, out, bias=False)
    _linear(prefix + 'outer_attn.proj.', D, D, out)
    if reduced:
        _linear(prefix + 'outer_attn.linear.', D, D, out)
        _norm(prefix + 'outer_attn.norm.', D, out)
    _norm(prefix + 'outer_norm2.', D, out)
    _linear(prefix + 'outer_mlp.fc1.', D, 4 * D, out)
    _linear(prefix + 'outer_mlp.fc2.', 4 * D, D, out)


def official_pyramid_shapes(arch, classes=1000):
    """Key -> shape of an official PyramidTNT file (state dict order)."""
    depths, D0, c0, h0, _, size = PYRAMID_TNT[arch]
    D = [D0 * f for f in (1, 2, 4, 4)]
    c = [c0 * f for f in (1, 2, 4, 4)]
    n = [(size // 8 // 2**i)**2 for i in range(4)]
    out = OrderedDict(outer_pos=(1, n[0], D0), inner_pos=(1, 16, c0))
    _stem(c0, D0, out)
    for i in range(3):
        _norm(f'word_merges.{i}.norm.', c[i], out)
        _conv(f'word_merges.{i}.conv.0.', c[i], c[i + 1], out)
        _norm(f'sentence_merges.{i}.norm.', D[i], out)
        _conv(f'sentence_merges.{i}.conv.0.', D[i], D[i + 1], out)
    for i, depth in enumerate(depths):
        for j in range(depth):
            _block(f'stages.{i}.blocks.{j}.', D[i], c[i], j == 0
                   or (j == 1 and depth > 6), SR_RATIOS[i] > 1, out)
        heads = h0 * (1, 2, 4, 4)[i]
        out[f'stages.{i}.relative_pos'] = (1, heads, n[i],
                                           n[i] // SR_RATIOS[i]**2)
    _norm('norm.', D[3], out)
    _linear('head.', D[3], classes, out)
    return out


def official_pyramid_state_dict(arch, seed=0):
    """Random tensors in the official layout of ``arch`` (LayerNorm weights
    near 1, BN variances positive, so the network computes something
    sensible)."""
    g = torch.Generator().manual_seed(seed)
    out = OrderedDict()
    for key, shape in official_pyramid_shapes(arch).items():
        if key.endswith('num_batches_tracked'):
            out[key] = torch.tensor(100)
        elif key.endswith('running_var'):
            out[key] = 1 + torch.rand(shape, generator=g)
        elif key.endswith('norm.weight') or re.search(r'norm\d\.weight$', key):
            out[key] = 1 + 0.02 * torch.randn(shape, generator=g)
        else:
            out[key] = 0.02 * torch.randn(shape, generator=g)
    return out
