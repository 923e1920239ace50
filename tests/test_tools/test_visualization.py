"""tools/visualization: each figure command on real photographs, with a
randomly initialised TNT-S and with the main job's trained model. Checks the
PNG's pixel size (fixed by the layout) and that the picture changes with the
input image."""
import glob
import importlib.util
import os.path as osp

import numpy as np
import pytest

from mmtnt.visualization.figures import DPI, PANEL_INCHES, as_array
from tests.helpers import DIGITS_CONFIG, ROOT, digits_options, write_photos

pytestmark = pytest.mark.slow  # end-to-end runs of the tools

PANEL = int(PANEL_INCHES * DPI)
TNT_S = 'configs/tnt/tnt-s_16xb64_in1k.py'


@pytest.fixture(scope='module')
def photo_files(tmp_path_factory):
    return write_photos(tmp_path_factory.mktemp('photos'))


def tool(name, monkeypatch):
    """The ``main`` of a figure command, run in-process (as ``python
    tools/visualization/NAME.py`` would, without the start-up)."""
    folder = osp.join(ROOT, 'tools', 'visualization')
    monkeypatch.syspath_prepend(folder)  # as python puts a script's folder
    spec = importlib.util.spec_from_file_location(
        name, osp.join(folder, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


@pytest.fixture(scope='module')
def trained_checkpoint(digits_trained):
    work, _ = digits_trained
    return sorted(glob.glob(osp.join(work, 'epoch_*.pth')))[-1]


# name -> (extra args, (rows, cols) of panels) for TNT-S (4 inner heads) and
# the mini digits model (2 inner heads, 4 blocks).
CASES = {
    'vis_inner_attention': ([], (3, 6), ['--blocks', '1', '2', '4'], (3, 4)),
    'vis_outer_attention': ([], (3, 2), ['--blocks', '1', '4'], (2, 2)),
    'vis_cls_attention': (['--rollout'], (1, 2), [], (1, 2)),
    'vis_feature_maps':
    (['--size', '224'], (3, 12), ['--blocks', '1', '4', '--channels',
                                  '5'], (2, 5)),
    'vis_word_embeddings': ([], (1, 4), ['--blocks', '1', '2', '3',
                                         '4'], (1, 5)),
}


@pytest.mark.parametrize('model', ['random', 'trained'])
@pytest.mark.parametrize('name', sorted(CASES))
def test_figure_size_and_dependence_on_input(name, model, photo_files,
                                             trained_checkpoint, tmp_path,
                                             monkeypatch, capsys):
    main = tool(name, monkeypatch)
    random_args, random_grid, trained_args, trained_grid = CASES[name]
    if model == 'random':
        base, extra, grid = [TNT_S, 'random'], random_args, random_grid
    else:
        base, extra, grid = [DIGITS_CONFIG,
                             trained_checkpoint], trained_args, trained_grid
        extra = extra + ['--size', '112']
    arrays = []
    for photo in photo_files:
        out = str(tmp_path / f'{osp.basename(photo)}.png')
        main(base + [photo, '--out-file', out] + extra)
        assert f'wrote {out}' in capsys.readouterr().out
        arrays.append(as_array(out))
    rows, cols = grid
    assert arrays[0].shape[:2] == (rows * PANEL, cols * PANEL)
    assert arrays[0].shape == arrays[1].shape
    assert np.abs(arrays[0] - arrays[1]).mean(
    ) > 0.01  # another photograph, another picture


def test_cls_attention_stacks_images_and_rollout_differs(
        photo_files, tmp_path, monkeypatch):
    main = tool('vis_cls_attention', monkeypatch)
    outs = []
    for extra in ([], ['--rollout']):
        out = str(tmp_path / f'cls{len(extra)}.png')
        main([TNT_S, 'random'] + photo_files + ['--out-file', out] + extra)
        outs.append(as_array(out))
    assert outs[0].shape[:2] == (2 * PANEL, 2 * PANEL)  # one row per image
    assert np.abs(outs[0] - outs[1]).mean() > 0.001


def test_bad_inputs_are_named(photo_files, tmp_path, monkeypatch):
    main = tool('vis_inner_attention', monkeypatch)
    out = str(tmp_path / 'x.png')
    with pytest.raises(SystemExit, match='--blocks 13 is out of range'):
        main([
            TNT_S, 'random', photo_files[0], '--out-file', out, '--blocks',
            '13'
        ])
    with pytest.raises(SystemExit, match='nope.pth does not exist'):
        main([TNT_S, 'nope.pth', photo_files[0], '--out-file', out])
    with pytest.raises(SystemExit, match='missing.png does not exist'):
        main([TNT_S, 'random', 'missing.png', '--out-file', out])


def test_tsne_of_a_dataset_split(digits_root, trained_checkpoint, tmp_path,
                                 monkeypatch, capsys):
    main = tool('vis_tsne', monkeypatch)
    outs = []
    for points in ('samples', 'channels'):
        out = str(tmp_path / f'tsne_{points}.png')
        opts = digits_options(digits_root)[1:]
        main([
            DIGITS_CONFIG, trained_checkpoint, '--out-file', out, '--points',
            points, '--max-samples', '60', '--cfg-options'
        ] + [o for o in opts if 'test_' in o])
        printed = capsys.readouterr().out
        # progress bar reached the end
        assert f'wrote {out}' in printed and '60/60' in printed
        outs.append(as_array(out))
    assert outs[0].shape[:2] == (600, 600)
    assert np.abs(outs[0] - outs[1]).mean() > 0.01
