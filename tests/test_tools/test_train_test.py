"""tools/train.py, tools/test.py, --resume and tools/dist_train.sh on the
digits config.
"""
import glob
import os
import os.path as osp
import pickle
import subprocess
import sys

import pytest
import torch

from tests.helpers import (DIGITS_CONFIG, ROOT, digits_options, run_tool,
                           scalars)

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


def test_resume_continues_where_training_stopped(trained, digits_root,
                                                 tmp_path):
    work, _ = trained
    resumed = str(tmp_path / 'resumed')
    os.makedirs(resumed)
    # Copy epoch 1 only: training must continue from epoch 1 to 3.
    import shutil
    shutil.copy(osp.join(work, 'epoch_1.pth'), resumed)
    proc = run_tool([
        'tools/train.py', DIGITS_CONFIG, '--work-dir', resumed, '--resume',
        osp.join(resumed, 'epoch_1.pth')
    ] + digits_options(digits_root, max_epochs=3))
    log = proc.stdout + proc.stderr
    assert 'resumed epoch: 1' in log.lower() or 'resumed' in log.lower()
    assert 'training finished at epoch 3' in proc.stdout
    train_epochs = {r['epoch'] for r in scalars(resumed) if 'loss' in r}
    assert train_epochs == {2, 3}


def test_bad_config_path_message(tmp_path):
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', 'configs/tnt/nope.py'],
        cwd=ROOT,
        capture_output=True,
        text=True)
    assert proc.returncode != 0
    assert "config file 'configs/tnt/nope.py' does not exist" in proc.stderr


def test_dist_train_two_processes_on_cpu(digits_root, tmp_path):
    work = str(tmp_path / 'dist')
    env = dict(
        os.environ, PYTHON=sys.executable, PORT='29513', OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [
            'bash', 'tools/dist_train.sh', DIGITS_CONFIG, '2', '--work-dir',
            work
        ] + digits_options(
            digits_root, max_epochs=1, **{'train_cfg.val_interval': 2}),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    for rank in (0, 1):
        assert f'[rank {rank}/2] training finished at epoch 1' in proc.stdout
    assert osp.isfile(osp.join(work, 'epoch_1.pth'))
    log = open(glob.glob(osp.join(work, '*', '*.log'))[0]).read()
    assert 'backend: gloo' in log.lower() or "'backend': 'gloo'" in log


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
    cmd = [
        sys.executable, 'tools/train.py', DIGITS_CONFIG, '--work-dir',
        str(tmp_path)
    ]
    proc = subprocess.run(
        cmd + opts + [f'load_from={ckpt}'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=ROOT))
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(
        f'error: {ckpt} does not fit the model: ') and 'missing' in last
    assert 'head.fc' not in last.split('missing')[
        0]  # a head of another class count is fine
    proc = subprocess.run(
        cmd + ['--load-partial'] + opts + [f'load_from={ckpt}'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=ROOT))
    assert proc.returncode == 0, proc.stderr[-2000:]
