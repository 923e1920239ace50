"""Shape-dependent steps of the backbones written so that an exported or
traced graph keeps them for every input size (a Python branch on a size would
be frozen at the traced one)."""
import torch
import torch.nn.functional as F


def _tracing():
    return torch.compiler.is_exporting() or torch.jit.is_tracing()


def pad_to_multiple(x, multiple):
    """(B, C, H, W) zero-padded at the bottom and right to multiples of
    ``multiple`` (as mmcv's ``AdaptivePadding(padding='corner')``)."""
    pad_h, pad_w = (-x.shape[-2]) % multiple, (-x.shape[-1]) % multiple
    if _tracing() or pad_h or pad_w:
        x = F.pad(x, (0, pad_w, 0, pad_h))
    return x


def resize_grid_embed(embed, src, dst, mode='bicubic', num_extra_tokens=0):
    """A (1, extra + h*w, C) embedding on an ``src`` (h, w) grid resized to
    ``dst``, the extra tokens (a class token) kept; the same as mmpretrain's
    ``resize_pos_embed``.
    """
    if tuple(src) == tuple(dst) and not _tracing():
        return embed
    extra, grid = embed[:, :num_extra_tokens], embed[:, num_extra_tokens:]
    grid = grid.reshape(1, src[0], src[1], -1).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=dst, mode=mode, align_corners=False)
    return torch.cat((extra, grid.flatten(2).transpose(1, 2)), dim=1)


def _pool_matrix(size, bins, like):
    """(bins, size) weights of adaptive average pooling along one axis: bin
    ``i`` averages ``[floor(i*size/bins), ceil((i+1)*size/bins))``."""
    i = torch.arange(bins, device=like.device)
    start = (i * size) // bins
    end = ((i + 1) * size + bins - 1) // bins
    j = torch.arange(size, device=like.device)
    inside = (j[None] >= start[:, None]) & (j[None] < end[:, None])
    return inside.to(like.dtype) / (end - start)[:, None].to(like.dtype)


def adaptive_avg_pool(x, out_size):
    """``F.adaptive_avg_pool2d(x, out_size)`` for (B, C, H, W), written as two
    matrix products when exported or traced, so that the graph pools any
    input size (ONNX's pooling ops have fixed kernels)."""
    if not _tracing():
        return F.adaptive_avg_pool2d(x, out_size)
    rows = _pool_matrix(x.shape[-2], out_size[0], x)  # (oh, H)
    cols = _pool_matrix(x.shape[-1], out_size[1], x)  # (ow, W)
    return rows @ x @ cols.transpose(0, 1)  # (B, C, oh, ow)
