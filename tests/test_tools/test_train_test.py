"""tools/train.py, tools/test.py, --resume and tools/dist_train.sh on the
digits config.
"""
import glob
import os.path as osp
import pickle

import pytest
import torch

from tests.helpers import DIGITS_CONFIG, digits_options, run_tool, scalars

pytestmark = pytest.mark.slow  # end-to-end runs of the tools


@pytest.fixture(scope='module')
def trained(digits_trained):
    return digits_trained


def test_train_loss_falls_and_accuracy_reported(trained):
    work, proc = trained
    assert '[rank 0/1] training finished at epoch 2' in proc.stdout
    records = scalars(work)
    losses = [r['loss'] for r in records if 'loss' in r]
    assert len(losses) >= 4 and all(loss == loss and loss < 1e3
                                    for loss in losses)  # finite
    assert sum(losses[-2:]) / 2 < sum(losses[:2]) / 2
    accs = [r['accuracy/top1'] for r in records if 'accuracy/top1' in r]
    assert len(
        accs) == 2 and accs[-1] > 10.0  # better than chance after 2 epochs
    assert osp.isfile(osp.join(work, 'epoch_2.pth'))
    assert not glob.glob(osp.join(work, '.epoch_*'))  # no temporary files left


def test_test_tool_reports_and_dumps(trained, digits_root, tmp_path):
    work, _ = trained
    out = str(tmp_path / 'preds.pkl')
    vis = str(tmp_path / 'vis')
    proc = run_tool([
        'tools/test.py', DIGITS_CONFIG,
        osp.join(work, 'epoch_2.pth'), '--work-dir',
        str(tmp_path), '--out', out, '--show-dir', vis
    ] + digits_options(digits_root))
    assert 'accuracy/top1' in proc.stdout + proc.stderr
    with open(out, 'rb') as f:
        preds = pickle.load(f)
    assert len(preds) == 359 and 'pred_score' in preds[0]
    from PIL import Image
    pictures = glob.glob(osp.join(vis, '*.png'))
    assert len(
        pictures
    ) == 359  # one labelled picture per test image, drawn 20x larger
    assert Image.open(pictures[0]).size == (320, 320)


def test_resume_without_a_path_continues_from_the_last_checkpoint(
        trained, digits_root, tmp_path):
    """1 epoch, then ``--resume`` (no path) to epoch 2, ends with the weights
    of 2 epochs straight, tensor for tensor."""
    straight, _ = trained
    work = str(tmp_path / 'work')
    run_tool(['tools/train.py', DIGITS_CONFIG, '--work-dir', work] +
             digits_options(digits_root, max_epochs=1))
    proc = run_tool(
        ['tools/train.py', DIGITS_CONFIG, '--work-dir', work, '--resume'] +
        digits_options(digits_root, max_epochs=2))
    assert ('Auto resumed from the latest checkpoint '
            f'{osp.join(work, "epoch_1.pth")}') in proc.stdout
    assert 'resumed epoch: 1, iter: 23' in proc.stdout  # 1,438 / 64 -> 23
    log = sorted(glob.glob(osp.join(work, '*', '*.log')))[-1]
    assert 'Epoch(train) [1]' not in open(log).read()  # epoch 2 only
    resumed = torch.load(
        osp.join(work, 'epoch_2.pth'), weights_only=False)['state_dict']
    expected = torch.load(
        osp.join(straight, 'epoch_2.pth'), weights_only=False)['state_dict']
    assert resumed.keys() == expected.keys()
    for key in expected:
        assert torch.equal(resumed[key], expected[key]), key


def test_bad_config_path_message(tmp_path):
    proc = run_tool(['tools/train.py', 'configs/tnt/nope.py'], check=False)
    assert proc.returncode != 0
    assert "config file 'configs/tnt/nope.py' does not exist" in proc.stderr


def test_load_from_that_does_not_fill_the_model_stops_unless_partial(
        digits_root, tmp_path):
    ckpt = str(tmp_path / 'other.pth')
    torch.save(
        {
            'state_dict': {
                'backbone.cls_token': torch.zeros(1, 1, 192),
                'head.fc.weight': torch.zeros(3, 192)
            }
        }, ckpt)
    opts = digits_options(
        digits_root,
        max_epochs=1,
        **{
            'train_dataloader.dataset.indices': 64,
            'val_dataloader.dataset.indices': 64
        })
    cmd = ['tools/train.py', DIGITS_CONFIG, '--work-dir', str(tmp_path)]
    proc = run_tool(cmd + opts + [f'load_from={ckpt}'], check=False)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(
        f'error: {ckpt} does not fit the model: ') and 'missing' in last
    assert 'head.fc' not in last.split('missing')[
        0]  # a head of another class count is fine
    proc = run_tool(
        cmd + ['--load-partial'] + opts + [f'load_from={ckpt}'], check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
