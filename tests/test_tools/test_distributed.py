"""2-process CPU runs end cleanly every time (under load too), and a dead rank ends the job
within a bounded time instead of hanging; --resume then continues."""
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time

from conftest import ROOT

from .helpers import DIGITS_CONFIG, digits_options


def dist_train(work, digits_root, port, *extra, max_epochs=1):
    opts = digits_options(digits_root, max_epochs=max_epochs, **{
        'train_dataloader.dataset.indices': 256, 'val_dataloader.dataset.indices': 64,
        'train_cfg.val_interval': 1, 'default_hooks.logger.interval': 1})
    return (['bash', 'tools/dist_train.sh', DIGITS_CONFIG, '2', '--work-dir', work] + opts +
            list(extra)), dict(os.environ, PYTHON=sys.executable, PORT=str(port),
                               OMP_NUM_THREADS='1')


def test_two_process_runs_exit_zero_every_time_under_load(digits_root, tmp_path):
    burners = [subprocess.Popen([sys.executable, '-c', 'while True: pass']) for _ in range(2)]
    try:
        for attempt in range(3):
            cmd, env = dist_train(str(tmp_path / f'run{attempt}'), digits_root, 29521 + attempt)
            proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                                  timeout=600)
            assert proc.returncode == 0, (attempt, proc.stdout[-1500:] + proc.stderr[-3000:])
            for rank in (0, 1):
                assert f'[rank {rank}/2] training finished at epoch 1' in proc.stdout
    finally:
        for burner in burners:
            burner.kill()


def rank_pids(work):
    """{LOCAL_RANK: pid} of the training processes writing to ``work``."""
    found = {}
    for pid in os.listdir('/proc'):
        try:
            with open(f'/proc/{pid}/cmdline', 'rb') as f:
                args = f.read().split(b'\0')
            with open(f'/proc/{pid}/environ', 'rb') as f:
                env = dict(kv.split(b'=', 1) for kv in f.read().split(b'\0') if b'=' in kv)
        except (OSError, NotADirectoryError):
            continue
        if work.encode() in args and b'LOCAL_RANK' in env and any(
                a.endswith(b'train.py') for a in args):
            found[int(env[b'LOCAL_RANK'])] = int(pid)
    return found


def test_a_dead_rank_ends_the_job_and_resume_continues(digits_root, tmp_path):
    work = str(tmp_path / 'work')
    cmd, env = dist_train(work, digits_root, 29531, max_epochs=2)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    for line in proc.stdout:
        if re.search(r'Epoch\(train\)\s+\[2\]\[1/2\]', line):
            break
    ranks = rank_pids(work)
    os.kill(ranks[1], signal.SIGKILL)
    killed_at = time.monotonic()
    proc.stdout.read()
    proc.wait(timeout=120)
    assert proc.returncode != 0
    assert time.monotonic() - killed_at < 60  # torchrun ends rank 0 instead of letting it hang
    assert osp.isfile(osp.join(work, 'epoch_1.pth'))
    cmd, env = dist_train(work, digits_root, 29532, '--resume', max_epochs=2)
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-1500:] + done.stderr[-3000:]
    assert '[rank 1/2] training finished at epoch 2' in done.stdout
    assert osp.isfile(osp.join(work, 'epoch_2.pth'))
