"""The TNT paper's figures (Figs. 3a, 4, 5, 6, 7) drawn from a
:class:`TNTProbe`.

matplotlib with a fixed panel size, so a figure's pixel size depends only on
its layout (``PANEL_INCHES * DPI`` pixels per panel). mmengine's Visualizer
draws on one image at a time; these are grids of heat maps, which is what
matplotlib's subplots are for.
"""
import math
import os
import os.path as osp

import matplotlib.pyplot as plt
import numpy as np
import torch

PANEL_INCHES = 2.0
DPI = 100


def new_figure(rows, cols, title=None):
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(cols * PANEL_INCHES, rows * PANEL_INCHES),
        dpi=DPI,
        squeeze=False)
    for ax in axes.flat:
        ax.axis('off')
    if title:
        fig.suptitle(title, fontsize=9)
        # Half an inch for the title, whatever the number of rows.
        fig.subplots_adjust(top=1 - 0.5 / (rows * PANEL_INCHES))
    return fig, axes


def _overlay(ax, rgb, heat, title=None):
    """Image with a heat map stretched over it."""
    h, w = rgb.shape[:2]
    ax.imshow(rgb, extent=(0, w, h, 0))
    ax.imshow(
        heat,
        cmap='jet',
        alpha=0.5,
        extent=(0, w, h, 0),
        interpolation='bilinear')
    if title:
        ax.set_title(title, fontsize=7)


def _cross(ax, x, y):
    ax.plot([x], [y], marker='x', color='red', markersize=8, mew=2)


def draw_inner_attention(rgb, probe, sample, patch, query, blocks, patch_size):
    """Fig. 5: attention of one query word over the words of its sentence
    (patch).

    Rows: blocks; columns: the patch with the query (red cross), each head, the
        head mean.
    """
    gh, gw = probe.grid
    r, c = patch
    index = sample * gh * gw + r * gw + c
    crop = rgb[r * patch_size:(r + 1) * patch_size,
               c * patch_size:(c + 1) * patch_size]
    first = probe.inner_attn[blocks[0]]
    heads, m = first.shape[1], first.shape[-1]
    side = int(math.isqrt(m))
    qy, qx = divmod(query, side)
    cx, cy = (qx + .5) * patch_size / side, (qy + .5) * patch_size / side
    fig, axes = new_figure(
        len(blocks), heads + 2,
        f'inner attention, patch ({r}, {c}), query word {query}')
    for row, b in enumerate(blocks):
        maps = probe.inner_attn[b][index, :, query].reshape(heads, side,
                                                            side).numpy()
        axes[row, 0].imshow(crop)
        _cross(axes[row, 0], cx, cy)
        axes[row, 0].set_title(f'block {b + 1}', fontsize=7)
        for h in range(heads):
            _overlay(axes[row, h + 1], crop, maps[h], f'head {h + 1}')
            _cross(axes[row, h + 1], cx, cy)
        _overlay(axes[row, -1], crop, maps.mean(0), 'mean')
        _cross(axes[row, -1], cx, cy)
    return fig


def draw_outer_attention(rgb, probe, sample, query_patch, blocks, patch_size):
    """Fig. 6: attention between all patches (head mean) and one query patch's
    row.

    Rows: blocks; columns: the (N x N) patch-to-patch matrix, the query's row
        on the image.
    """
    gh, gw = probe.grid
    r, c = query_patch
    q = r * gw + c
    fig, axes = new_figure(
        len(blocks), 2, f'outer attention, query patch ({r}, {c})')
    for row, b in enumerate(blocks):
        attn = probe.outer_attn[b][sample].mean(0)[1:, 1:]
        axes[row, 0].imshow(attn.numpy(), cmap='viridis')
        axes[row, 0].set_title(f'block {b + 1}: patches x patches', fontsize=7)
        _overlay(axes[row, 1], rgb, attn[q].reshape(gh, gw).numpy(),
                 f'block {b + 1}: query row')
        _cross(axes[row, 1], (c + .5) * patch_size, (r + .5) * patch_size)
    return fig


def attention_rollout(attentions, residual=0.5):
    """Attention rollout (Abnar & Zuidema, 2020) over blocks' (heads, T, T)
    attention.

    Each block's head-mean attention is mixed with the identity for the
    residual path, rows renormalised, and the blocks multiplied from the first
    to the last.
    """
    result = None
    for attn in attentions:
        a = attn.mean(0)
        a = residual * torch.eye(a.shape[-1]) + (1 - residual) * a
        a = a / a.sum(-1, keepdim=True)
        result = a if result is None else a @ result
    return result


def draw_cls_attention(rgbs, probe, block, rollout=False):
    """Fig. 7: where the class token looks, one row per image (last block or
    rollout).
    """
    gh, gw = probe.grid
    fig, axes = new_figure(
        len(rgbs), 2, 'class-token attention' +
        (' (rollout over all blocks)' if rollout else f' (block {block + 1})'))
    for i, rgb in enumerate(rgbs):
        if rollout:
            attn = attention_rollout(
                [probe.outer_attn[b][i] for b in sorted(probe.outer_attn)])
        else:
            attn = probe.outer_attn[block][i].mean(0)
        heat = attn[0, 1:].reshape(gh, gw).numpy()
        axes[i, 0].imshow(rgb)
        _overlay(axes[i, 1], rgb, heat / max(heat.max(), 1e-12))
    return fig


def draw_feature_maps(probe, sample, blocks, channels):
    """Fig. 3(a): chosen channels of the sentence tokens as (H/16, W/16) maps
    per block.
    """
    gh, gw = probe.grid
    fig, axes = new_figure(
        len(blocks), len(channels), 'feature maps (sentence tokens)')
    for row, b in enumerate(blocks):
        tokens = probe.sentences[b][sample, 1:]
        for col, ch in enumerate(channels):
            axes[row, col].imshow(
                tokens[:, ch].reshape(gh, gw).numpy(), cmap='viridis')
            axes[row, col].set_title(f'block {b + 1}, ch {ch}', fontsize=7)
    return fig


def word_embedding_map(words, grid):
    """(N, m, c) words of one image -> (gh*s, gw*s) map of channel-averaged
    words (Fig. 4).
    """
    gh, gw = grid
    side = int(math.isqrt(words.shape[1]))
    maps = words.mean(-1).reshape(gh, gw, side, side)
    return maps.permute(0, 2, 1, 3).reshape(gh * side, gw * side)


def draw_word_embeddings(rgb, probe, sample, blocks):
    """Fig. 4: each patch's words at their positions, averaged over channels,
    per block.
    """
    gh, gw = probe.grid
    n = gh * gw
    fig, axes = new_figure(1, len(blocks) + 1, 'averaged word embeddings')
    axes[0, 0].imshow(rgb)
    for col, b in enumerate(blocks, start=1):
        words = probe.words[b][sample * n:(sample + 1) * n]
        axes[0, col].imshow(
            word_embedding_map(words, (gh, gw)).numpy(), cmap='viridis')
        axes[0, col].set_title(f'block {b + 1}', fontsize=7)
    return fig


def save(fig, path):
    """Write ``fig`` as PNG at the fixed DPI (parent folders created) and close
    it.
    """
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def as_array(path):
    """A written PNG as an (H, W, C) array (for tests and callers that compare
    figures).
    """
    return np.asarray(plt.imread(path))
