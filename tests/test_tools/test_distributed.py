"""2-process CPU runs: they end cleanly every time (under load too), average
gradients over disjoint halves of the data as a 1-process run with the same
total batch does, test as tools/test.py does; a dead rank ends the job within
a bounded time instead of hanging, and --resume then continues."""
import glob
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time

import pytest
import torch

from tests.helpers import DIGITS_CONFIG, ROOT, digits_options, run_tool

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


def record_ranks_config(folder):
    """The digits config with the RecordRanks hook, a fixed sampler seed and
    no random crop (each rank's crops would differ from a 1-process run's)."""
    config = osp.join(folder, 'record_ranks.py')
    with open(config, 'w') as f:
        f.write(
            f"_base_ = [{osp.join(ROOT, DIGITS_CONFIG)!r}]\n"
            "custom_imports = dict(imports=['tests.helpers.record_ranks'], "
            "allow_failed_imports=False)\n"
            "train_dataloader = dict(\n"
            "    dataset=dict(pipeline=[dict(type='LoadImageFromFile'),\n"
            "                           dict(type='PackInputs')]),\n"
            "    sampler=dict(type='DefaultSampler', shuffle=True, "
            "seed=0))\n"
            "default_hooks = dict(record=dict(type='RecordRanks'))\n")
    return config


def test_two_ranks_average_gradients_over_disjoint_halves(
        digits_root, tmp_path):
    """2 processes x 8 images equal 1 process x 16 images: the same weights on
    both ranks, those of the 1-process run, each rank half of every batch."""
    config = record_ranks_config(str(tmp_path))
    opts = digits_options(
        digits_root,
        max_epochs=2,
        **{
            'train_dataloader.dataset.indices': 64,
            'val_dataloader.dataset.indices': 32,
        })
    two, one = str(tmp_path / 'two'), str(tmp_path / 'one')
    cmd, env = dist_train(two, digits_root, 29541)
    cmd = cmd[:2] + [config, '2', '--work-dir', two
                     ] + opts + ['train_dataloader.batch_size=8']
    env['PYTHONPATH'] = ROOT
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-1500:] + proc.stderr[-3000:]
    log = open(glob.glob(osp.join(two, '*', '*.log'))[0]).read()
    assert "'backend': 'gloo'" in log or 'backend: gloo' in log.lower()
    run_tool(['tools/train.py', config, '--work-dir', one] + opts +
             ['train_dataloader.batch_size=16'])

    batches = [json.load(open(osp.join(two, f'rank{r}.json'))) for r in (0, 1)]
    (single, ) = [json.load(open(osp.join(one, 'rank0.json')))]
    assert len(single) == len(batches[0]) == len(batches[1]) == 8
    for epoch in (0, 1):
        seen = [sum(b[4 * epoch:4 * epoch + 4], []) for b in batches]
        assert not set(seen[0]) & set(seen[1])  # disjoint halves
        assert sorted(seen[0] + seen[1]) == list(range(64))
    for step, (b0, b1, b) in enumerate(zip(*batches, single)):
        assert sorted(b0 + b1) == sorted(b), step  # the same 16 images
    weights = [torch.load(osp.join(two, f'rank{r}.pth')) for r in (0, 1)]
    reference = torch.load(osp.join(one, 'rank0.pth'))
    initial = torch.load(
        osp.join(one, 'epoch_1.pth'), weights_only=False)['state_dict']
    moved = differ = 0.0
    for key, value in reference.items():
        assert torch.equal(weights[0][key], weights[1][key]), key
        differ = max(differ, (weights[0][key] - value).abs().max().item())
        moved = max(moved, (value - initial[key]).abs().max().item())
    # Float sums in another order only; the second epoch (warm-up learning
    # rates) moved the weights 40 times as far.
    assert differ < 2e-5 and moved > 40 * differ, (differ, moved)


def test_dist_test_reports_what_test_py_reports(digits_trained, digits_root,
                                                tmp_path):
    """359 test digits over 2 processes (one padded sample) score as in one."""
    work, _ = digits_trained
    ckpt = osp.join(work, 'epoch_2.pth')
    opts = digits_options(digits_root)
    one = run_tool([
        'tools/test.py', DIGITS_CONFIG, ckpt, '--work-dir',
        str(tmp_path / 'one')
    ] + opts)
    env = dict(
        os.environ, PYTHON=sys.executable, PORT='29545', OMP_NUM_THREADS='1')
    two = subprocess.run(
        [
            'bash', 'tools/dist_test.sh', DIGITS_CONFIG, ckpt, '2',
            '--work-dir',
            str(tmp_path / 'two')
        ] + opts,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600)
    assert two.returncode == 0, two.stdout[-1500:] + two.stderr[-3000:]
    pattern = r'accuracy/top1: ([\d.]+)'
    top1 = [re.findall(pattern, p.stdout + p.stderr)[-1] for p in (one, two)]
    assert top1[0] == top1[1] and 10 < float(top1[0]) <= 100, top1


def nan_config(folder, iteration):
    """record_ranks_config with rank 1's loss NaN at ``iteration``."""
    config = osp.join(folder, 'nan_on_rank1.py')
    with open(config, 'w') as f:
        f.write(f"_base_ = [{record_ranks_config(folder)!r}]\n"
                "custom_imports = dict(imports=['tests.helpers.record_ranks', "
                "'tests.helpers.inject_nan'], allow_failed_imports=False)\n"
                "default_hooks = dict(nan=dict(type='InjectNaN', rank=1, "
                f"iteration={iteration}))\n")
    return config


@pytest.mark.parametrize('skip', [True, False])
def test_nan_on_one_rank_is_one_decision_for_all(digits_root, tmp_path, skip):
    """Rank 1's loss is NaN at iteration 3 of 4: with skip=True both ranks
    skip that step and end with identical weights; with skip=False both stop
    with the same message (rank 0 logs it, whichever rank prints it) and the
    job exits non-zero within a bounded time."""
    work = str(tmp_path / 'work')
    opts = digits_options(
        digits_root,
        max_epochs=2,
        **{
            'train_dataloader.dataset.indices': 64,
            'val_dataloader.dataset.indices': 32,
            'optim_wrapper.on_nonfinite_loss': 'skip' if skip else 'stop',
        })
    cmd, env = dist_train(work, digits_root, 29553 + skip)
    cmd = cmd[:2] + [nan_config(str(tmp_path), 3), '2', '--work-dir', work
                     ] + opts + ['train_dataloader.batch_size=16']
    env['PYTHONPATH'] = ROOT
    start = time.time()
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    said = proc.stdout + proc.stderr
    if skip:
        assert proc.returncode == 0, said[-3000:]
        log = open(glob.glob(osp.join(work, '*', '*.log'))[0]).read()
        assert ('iteration 3: skipped a step with a non-finite loss on rank 1 '
                'of 2 (rank 1: loss=nan); 1 skipped so far') in log
        weights = [torch.load(osp.join(work, f'rank{r}.pth')) for r in (0, 1)]
        for key, value in weights[0].items():
            assert torch.equal(value, weights[1][key]), key
            assert torch.isfinite(value.float()).all(), key
    else:
        assert proc.returncode != 0
        errors = [
            line for line in said.splitlines()
            if line.startswith('error: iteration 3')
        ]
        # torchrun may kill the slower rank before it prints, and the two
        # ranks' output may interleave under load: the facts of the one
        # decision, in every line printed and in rank 0's log
        decision = ('iteration 3: the loss is not finite on rank 1 of 2 '
                    '(rank 1: loss=nan)')
        log = open(glob.glob(osp.join(work, '*', '*.log'))[0]).read()
        assert errors, said[-3000:]
        assert all(e.startswith('error: ' + decision) for e in errors)
        assert decision in log
        assert time.time() - start < 300
        assert not osp.exists(osp.join(work, 'epoch_2.pth'))
