"""kill -9 at any point, then --resume: the final weights equal an
uninterrupted run's, tensor for tensor (digits config: random crops in two
persistent dataloader workers, EMA, seed 0)."""
import os
import re
import signal
import subprocess
import sys

import pytest
import torch

from tests.helpers import DIGITS_CONFIG, ROOT

pytestmark = pytest.mark.slow  # end-to-end runs of the tools

EPOCHS = 2


def options(digits_root, **extra):
    opts = {
        f'{loader}.dataset.data_root': digits_root
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    }
    opts.update({
        'train_dataloader.dataset.indices':
        256,  # 4 iterations of 64 per epoch
        'val_dataloader.dataset.indices': 256,
        'val_dataloader.batch_size': 64,
        'train_dataloader.num_workers': 2,
        'train_dataloader.persistent_workers': True,
        'val_dataloader.num_workers': 1,
        'val_dataloader.persistent_workers': False,
        'train_cfg.max_epochs': EPOCHS,
        'train_cfg.val_interval': 1,
        'default_hooks.checkpoint.interval': 1,
        'default_hooks.checkpoint.max_keep_ckpts': 5,
        'default_hooks.checkpoint.save_best': None,
        'default_hooks.logger.interval': 1,
        **extra,
    })
    return ['--cfg-options'] + [f'{k}={v}' for k, v in opts.items()]


def train(work, digits_root, extra=(), kill=None):
    """Run tools/train.py; ``kill``: where tests/helpers/kill_at.py's hook
    SIGKILLs the run.
    """
    config = DIGITS_CONFIG
    if kill:
        config = os.path.join(work, 'killed.py')
        os.makedirs(work, exist_ok=True)
        with open(config, 'w') as f:
            f.write(
                f"_base_ = [{os.path.join(ROOT, DIGITS_CONFIG)!r}]\n"
                "custom_imports = dict(imports=['tests.helpers.kill_at'], "
                "allow_failed_imports=False)\n"
                f"default_hooks = dict(kill=dict(type='KillAt', **{kill!r}))\n"
            )
    cmd = [
        sys.executable, 'tools/train.py', config, '--work-dir', work, *extra,
        *options(digits_root)
    ]
    proc = subprocess.run(
        cmd,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        start_new_session=True,
        env=dict(os.environ, PYTHONPATH=ROOT))
    log = proc.stdout + proc.stderr
    assert proc.returncode == (-signal.SIGKILL if kill else 0), log[-3000:]
    return log


def final_state(work):
    checkpoint = torch.load(
        os.path.join(work, f'epoch_{EPOCHS}.pth'),
        map_location='cpu',
        weights_only=False)
    return checkpoint['state_dict'], checkpoint['ema_state_dict']


@pytest.fixture(scope='module')
def uninterrupted(digits_root, tmp_path_factory):
    work = str(tmp_path_factory.mktemp('straight'))
    train(work, digits_root)
    return final_state(work)


@pytest.mark.parametrize(
    'kill',
    [
        dict(point='train_iter', iter=5),  # in the middle of epoch 2
        dict(point='after_checkpoint',
             epoch=1),  # right after epoch_1.pth is written
        dict(point='val_iter', epoch=2),  # during the second validation
    ],
    ids=['mid-epoch', 'after-checkpoint', 'during-validation'])
def test_resume_after_kill_equals_uninterrupted(kill, uninterrupted,
                                                digits_root, tmp_path):
    work = str(tmp_path)
    train(work, digits_root, kill=kill)
    log = train(work, digits_root, extra=['--resume'])
    assert re.search(r'[Rr]esumed? .*epoch', log), log[-2000:]
    state, ema = final_state(work)
    ref_state, ref_ema = uninterrupted
    assert state.keys() == ref_state.keys()
    for key in ref_state:
        assert torch.equal(state[key], ref_state[key]), key
    for key in ref_ema:
        assert torch.equal(ema[key], ref_ema[key]), key
