"""2-process CPU runs end cleanly every time (under load too), and a dead rank
ends the job within a bounded time instead of hanging; --resume then
continues."""
import os
import os.path as osp
import subprocess
import sys
import time

import pytest

from tests.helpers import DIGITS_CONFIG, ROOT, digits_options

pytestmark = pytest.mark.slow  # end-to-end runs of the tools


def dist_train(work, digits_root, port, *extra, max_epochs=1):
    opts = digits_options(
        digits_root,
        max_epochs=max_epochs,
        **{
            'train_dataloader.dataset.indices': 256,
            'val_dataloader.dataset.indices': 64,
            'train_cfg.val_interval': 1,
            'default_hooks.logger.interval': 1
        })
    return ([
        'bash', 'tools/dist_train.sh', DIGITS_CONFIG, '2', '--work-dir', work
    ] + opts + list(extra)), dict(
        os.environ, PYTHON=sys.executable, PORT=str(port), OMP_NUM_THREADS='1')


def test_two_process_runs_exit_zero_every_time_under_load(
        digits_root, tmp_path):
    burners = [
        subprocess.Popen([sys.executable, '-c', 'while True: pass'])
        for _ in range(2)
    ]
    try:
        for attempt in range(2):
            cmd, env = dist_train(
                str(tmp_path / f'run{attempt}'), digits_root, 29521 + attempt)
            proc = subprocess.run(
                cmd,
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=600)
            assert proc.returncode == 0, (attempt, proc.stdout[-1500:] +
                                          proc.stderr[-3000:])
            for rank in (0, 1):
                assert (f'[rank {rank}/2] training finished at epoch 1'
                        in proc.stdout)
    finally:
        for burner in burners:
            burner.kill()


def test_a_dead_rank_ends_the_job_and_resume_continues(digits_root, tmp_path):
    work = str(tmp_path / 'work')
    os.makedirs(work)
    # Rank 1 is SIGKILLed after its first iteration of epoch 2 (of two), so
    # rank 0 is left waiting in the gradient all-reduce of the next one; were
    # it the epoch's last iteration, rank 0 could still write epoch_2.pth.
    config = osp.join(work, 'rank1_dies.py')
    with open(config, 'w') as f:
        f.write(f"_base_ = [{osp.join(ROOT, DIGITS_CONFIG)!r}]\n"
                "custom_imports = dict(imports=['tests.helpers.kill_at'], "
                "allow_failed_imports=False)\n"
                "default_hooks = dict(kill=dict(type='KillAt', "
                "point='train_iter', iter=2, "
                "rank=1))\n")
    cmd, env = dist_train(work, digits_root, 29531, max_epochs=2)
    cmd[2] = config
    env['PYTHONPATH'] = ROOT
    started = time.monotonic()
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0, proc.stdout[-2000:]
    # torchrun ends rank 0 instead of letting it wait for rank 1 (gloo's
    # timeout is 30 min).
    assert time.monotonic() - started < 120
    assert '[rank 0/2] training finished' not in proc.stdout
    assert osp.isfile(osp.join(work, 'epoch_1.pth')) and not osp.isfile(
        osp.join(work, 'epoch_2.pth'))
    cmd, env = dist_train(work, digits_root, 29532, '--resume', max_epochs=2)
    done = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-1500:] + done.stderr[-3000:]
    assert '[rank 1/2] training finished at epoch 2' in done.stdout
    assert osp.isfile(osp.join(work, 'epoch_2.pth'))
