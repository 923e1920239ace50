"""kill -9 at any point, then --resume: the final weights equal an uninterrupted run's, tensor
for tensor (digits config: random crops in two persistent dataloader workers, EMA, seed 0)."""
import os
import re
import signal
import subprocess
import sys

import pytest
import torch
from conftest import ROOT

from test_tools.helpers import DIGITS_CONFIG

EPOCHS = 2


def options(digits_root, **extra):
    opts = {f'{loader}.dataset.data_root': digits_root
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')}
    opts.update({
        'train_dataloader.dataset.indices': 256,  # 4 iterations of 64 per epoch
        'val_dataloader.dataset.indices': 256, 'val_dataloader.batch_size': 64,
        'train_dataloader.num_workers': 2, 'train_dataloader.persistent_workers': True,
        'val_dataloader.num_workers': 1, 'val_dataloader.persistent_workers': False,
        'train_cfg.max_epochs': EPOCHS, 'train_cfg.val_interval': 1,
        'default_hooks.checkpoint.interval': 1, 'default_hooks.checkpoint.max_keep_ckpts': 5,
        'default_hooks.checkpoint.save_best': None,
        'default_hooks.logger.interval': 1,
        **extra,
    })
    return ['--cfg-options'] + [f'{k}={v}' for k, v in opts.items()]


def train(work, digits_root, extra=(), kill_at=None, **opts):
    """Run tools/train.py; with ``kill_at`` (a regex), SIGKILL the whole process group as soon
    as a log line matches it."""
    cmd = [sys.executable, '-u', 'tools/train.py', DIGITS_CONFIG, '--work-dir', work,
           *extra, *options(digits_root, **opts)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if kill_at and re.search(kill_at, line):
            os.killpg(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=600)
    log = ''.join(lines)
    if kill_at:
        assert proc.returncode == -signal.SIGKILL, log[-3000:]
    else:
        assert proc.returncode == 0, log[-3000:]
    return log


def final_state(work):
    checkpoint = torch.load(os.path.join(work, f'epoch_{EPOCHS}.pth'), map_location='cpu',
                            weights_only=False)
    return checkpoint['state_dict'], checkpoint['ema_state_dict']


@pytest.fixture(scope='module')
def uninterrupted(digits_root, tmp_path_factory):
    work = str(tmp_path_factory.mktemp('straight'))
    train(work, digits_root)
    return final_state(work)


@pytest.mark.parametrize('kill_at', [
    r'Epoch\(train\)\s+\[2\]\[2/4\]',        # in the middle of epoch 2
    r'Saving checkpoint at 1 epochs',        # right after a checkpoint is written
    r'Epoch\(val\)\s+\[2\]\[1/4\]',          # during validation
], ids=['mid-epoch', 'after-checkpoint', 'during-validation'])
def test_resume_after_kill_equals_uninterrupted(kill_at, uninterrupted, digits_root, tmp_path):
    work = str(tmp_path)
    train(work, digits_root, kill_at=kill_at)
    log = train(work, digits_root, extra=['--resume'])
    assert re.search(r'[Rr]esumed? .*epoch', log), log[-2000:]
    state, ema = final_state(work)
    ref_state, ref_ema = uninterrupted
    assert state.keys() == ref_state.keys()
    for key in ref_state:
        assert torch.equal(state[key], ref_state[key]), key
    for key in ref_ema:
        assert torch.equal(ema[key], ref_ema[key]), key
