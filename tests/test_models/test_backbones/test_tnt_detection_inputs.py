"""TNT at detection sizes: non-square, non-224 inputs checked against a direct
computation.

The reference is timm's TNT built for exactly that input size (it refuses any
other), given our weights and a sentence position encoding resized here with
plain bicubic interpolation, so neither our interpolation nor our token
bookkeeping is trusted.
"""
import pytest
import torch
import torch.nn.functional as F

from mmtnt.models import TNT
from tests.helpers import photos

TWO_BLOCKS = dict(
    inner_dims=24, inner_heads=4, outer_dims=384, outer_heads=6, num_layers=2)


def resized_sentence_pos(patch_pos, grid):
    cls, grid_pos = patch_pos[:, :1], patch_pos[:, 1:]
    side = int(grid_pos.shape[1]**0.5)
    grid_pos = grid_pos.reshape(1, side, side, -1).permute(0, 3, 1, 2)
    grid_pos = F.interpolate(
        grid_pos, size=grid, mode='bicubic', align_corners=False)
    return torch.cat((cls, grid_pos.flatten(2).transpose(1, 2)), dim=1)


@pytest.mark.parametrize('size,layout', [((800, 1216), 'official'),
                                         ((608, 1088), 'legacy')])
def test_features_equal_direct_computation(size, layout):
    from timm.models.tnt import TNT as TimmTNT
    torch.manual_seed(0)
    ours = TNT(
        arch=TWO_BLOCKS, layout=layout, out_indices=(0, 1),
        out_type='featmap').eval()
    grid = (size[0] // 16, size[1] // 16)
    ref = TimmTNT(
        img_size=size,
        embed_dim=384,
        inner_dim=24,
        depth=2,
        num_heads_outer=6,
        num_heads_inner=4,
        qkv_bias=False,
        legacy=layout == 'legacy',
        num_classes=0).eval()
    state = {k: v for k, v in ours.state_dict().items()}
    with torch.no_grad(
    ):  # random, non-zero position encodings so that they matter
        state['patch_pos'] = torch.randn_like(state['patch_pos']) * 0.02
        state['pixel_pos'] = torch.randn_like(state['pixel_pos']) * 0.02
        ours.load_state_dict(state)
        state['patch_pos'] = resized_sentence_pos(state['patch_pos'], grid)
        missing, unexpected = ref.load_state_dict(state, strict=False)
    assert not missing and not unexpected, (missing, unexpected)

    x = photos(size)[:1]
    with torch.no_grad():
        block0, last = ours(x)
        final, (ref_block0, ) = ref.forward_intermediates(x, indices=[0])
    assert block0.shape == last.shape == (1, 384, *grid)
    torch.testing.assert_close(block0, ref_block0, atol=1e-4, rtol=1e-4)
    ref_last = final[:, 1:].transpose(1, 2).reshape(1, 384, *grid)
    torch.testing.assert_close(last, ref_last, atol=1e-4, rtol=1e-4)
