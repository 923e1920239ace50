"""mmtnt.visualization.figures: what each figure draws, read back from its
axes and compared with the probe's tensors, and its pixel size."""
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from mmtnt.visualization import (TNTProbe, attention_rollout,
                                 draw_cls_attention, draw_feature_maps,
                                 draw_inner_attention, draw_outer_attention,
                                 draw_word_embeddings)
from mmtnt.visualization.figures import (DPI, PANEL_INCHES, as_array, save,
                                         word_embedding_map)

PANEL = int(PANEL_INCHES * DPI)


@pytest.fixture
def probe(mini):
    backbone, inputs, _ = mini
    with TNTProbe(backbone, inner=True, outer=True, tokens=True) as probe:
        probe.run(inputs)
    return probe


def shown(ax, index=0):
    """The array of the ``index``-th image drawn on ``ax``."""
    return np.asarray(ax.get_images()[index].get_array())


def panels(fig):
    """Figure size in panels (rows, cols), from its pixel size."""
    w, h = fig.get_size_inches() * DPI
    return round(h / PANEL), round(w / PANEL)


def test_rollout_mixes_identity_renormalises_and_multiplies_in_order():
    a1 = torch.tensor([[[0.5, 0.5], [0.0, 1.0]], [[1.0, 0.0], [1.0, 0.0]]])
    a2 = torch.tensor([[[0.0, 1.0], [0.5, 0.5]]])
    # block 1: head mean [[.75, .25], [.5, .5]]; half identity, half that
    r1 = torch.tensor([[0.875, 0.125], [0.25, 0.75]])
    r2 = torch.tensor([[0.5, 0.5], [0.25, 0.75]])
    torch.testing.assert_close(attention_rollout([a1, a2]), r2 @ r1)
    torch.testing.assert_close(
        attention_rollout([a1], residual=0.), a1.mean(0))
    assert attention_rollout([]) is None


def test_word_embedding_map_puts_each_word_at_its_pixel_position():
    # 2x3 patches of 2x2 words, 3 channels; a word's value is its channel mean
    words = torch.randn(6, 4, 3)
    out = word_embedding_map(words, (2, 3))
    assert out.shape == (4, 6)
    for py in range(2):
        for px in range(3):
            for wy in range(2):
                for wx in range(2):
                    assert out[py * 2 + wy, px * 2 + wx] == pytest.approx(
                        words[py * 3 + px, wy * 2 + wx].mean().item())


def test_inner_attention_figure(probe, mini):
    rgb = mini[2][1]
    fig = draw_inner_attention(
        rgb,
        probe,
        sample=1,
        patch=(2, 3),
        query=5,
        blocks=[0, 3],
        patch_size=8)
    axes = np.array(fig.axes).reshape(2, 4)  # blocks x (patch, 2 heads, mean)
    assert panels(fig) == (2, 4)
    np.testing.assert_array_equal(shown(axes[0, 0]), rgb[16:24, 24:32])
    index = 16 + 2 * 4 + 3  # sample 1's patch (2, 3) in the 4x4 grid
    for row, block in enumerate([0, 3]):
        maps = probe.inner_attn[block][index, :, 5].reshape(2, 4, 4).numpy()
        for head in range(2):
            np.testing.assert_array_equal(
                shown(axes[row, head + 1], 1), maps[head])
        np.testing.assert_allclose(shown(axes[row, 3], 1), maps.mean(0))
        assert axes[row, 3].get_images()[1].get_cmap().name == 'jet'
        assert not axes[row, 3].axison
        assert axes[row, 0].get_title() == f'block {block + 1}'
    # word 5 of a 4x4 grid: row 1, column 1; its centre in patch pixels
    cross = axes[0, 1].lines[0]
    assert (cross.get_xdata()[0], cross.get_ydata()[0]) == (3.0, 3.0)
    plt.close(fig)


def test_outer_attention_figure(probe, mini):
    rgb = mini[2][0]
    fig = draw_outer_attention(
        rgb, probe, sample=0, query_patch=(1, 2), blocks=[1], patch_size=8)
    axes = np.array(fig.axes).reshape(1, 2)
    matrix = probe.outer_attn[1][0].mean(0)[1:, 1:].numpy()
    np.testing.assert_allclose(shown(axes[0, 0]), matrix)
    np.testing.assert_allclose(
        shown(axes[0, 1], 1), matrix[1 * 4 + 2].reshape(4, 4))
    np.testing.assert_array_equal(shown(axes[0, 1]), rgb)
    cross = axes[0, 1].lines[0]
    assert (cross.get_xdata()[0], cross.get_ydata()[0]) == (20.0, 12.0)
    plt.close(fig)


@pytest.mark.parametrize('rollout', [False, True])
def test_cls_attention_figure(probe, mini, rollout):
    rgbs = mini[2]
    fig = draw_cls_attention(rgbs, probe, block=3, rollout=rollout)
    axes = np.array(fig.axes).reshape(2, 2)
    assert panels(fig) == (2, 2)
    for i in range(2):
        if rollout:
            attn = attention_rollout(
                [probe.outer_attn[b][i] for b in range(4)])
        else:
            attn = probe.outer_attn[3][i].mean(0)
        heat = attn[0, 1:].reshape(4, 4).numpy()
        np.testing.assert_allclose(
            shown(axes[i, 1], 1), heat / heat.max(), rtol=1e-6)
        np.testing.assert_array_equal(shown(axes[i, 0]), rgbs[i])
    title = fig._suptitle.get_text()
    assert ('rollout' in title) == rollout and ('block 4' in title) != rollout
    plt.close(fig)


def test_feature_maps_figure(probe):
    fig = draw_feature_maps(probe, sample=1, blocks=[0, 2], channels=[7, 100])
    axes = np.array(fig.axes).reshape(2, 2)
    for row, block in enumerate([0, 2]):
        for col, ch in enumerate([7, 100]):
            expected = probe.sentences[block][1, 1:, ch].reshape(4, 4)
            np.testing.assert_array_equal(
                shown(axes[row, col]), expected.numpy())
            assert axes[row, col].get_title() == f'block {block + 1}, ch {ch}'
    assert fig._suptitle.get_text() == 'feature maps (sentence tokens)'
    plt.close(fig)


def test_word_embeddings_figure(probe, mini):
    rgb = mini[2][1]
    fig = draw_word_embeddings(rgb, probe, sample=1, blocks=[0, 3])
    axes = fig.axes
    assert panels(fig) == (1, 3)
    np.testing.assert_array_equal(shown(axes[0]), rgb)
    for col, block in enumerate([0, 3], start=1):
        expected = word_embedding_map(probe.words[block][16:32], (4, 4))
        np.testing.assert_array_equal(shown(axes[col]), expected.numpy())
        assert axes[col].get_title() == f'block {block + 1}'
    plt.close(fig)


def test_save_writes_a_png_of_the_layouts_pixel_size(probe, tmp_path):
    fig = draw_feature_maps(probe, sample=0, blocks=[0], channels=[1, 2, 3])
    path = save(fig, str(tmp_path / 'new' / 'folder' / 'maps.png'))
    assert not plt.fignum_exists(fig.number)
    assert as_array(path).shape[:2] == (PANEL, 3 * PANEL)
