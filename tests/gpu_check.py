"""GPU acceptance check: every task trains and tests on the GPU, in float32,
float16 and (where the GPU has it) bfloat16; a 1-GPU ``tools/dist_train.sh``
job runs on NCCL; the benchmark measures TNT-S on the GPU.

    python -m tests.gpu_check [--out-dir DIR] [--docs docs/benchmark.md]
    python -m tests.gpu_check --device cpu --quick   # rehearse on CPU

Prints one line per check (``PASS``, ``FAIL`` or ``SKIP`` name: detail) and
exits 1 if any failed. Without a GPU each GPU check is skipped ("no GPU").
"""
import argparse
import math
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from tests.helpers import (DETR_CONFIG, DIGITS_CONFIG, FASTER_RCNN_CONFIG,
                           ROOT, digits_options, make_demo, run_tool, scalars,
                           small_detection_config, small_segmentation_config)

BEGIN, END = '<!-- gpu-check:begin -->', '<!-- gpu-check:end -->'
RESULTS = []


def report(status, name, detail, start):
    RESULTS.append(status)
    print(
        f'{status} {name}: {detail} ({time.time() - start:.0f} s)', flush=True)


def tool(args, device, work=None, amp=None):
    """Run a tools/ script in a subprocess on ``device``; the process."""
    args = [str(a) for a in args] + ['--device', device]
    if amp and amp != 'float32':
        args += ['--amp', '--amp-dtype', amp]
    return run_tool(args, in_process=False, check=False, timeout=1800)


def last_line(proc):
    """The error line of a failed tool (else its last line)."""
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    errors = [line for line in lines if re.match(r'(\w+Error|error)\b', line)]
    return (errors or lines or [f'exit {proc.returncode}'])[-1][:300]


def losses(work_dir):
    return [r['loss'] for r in scalars(work_dir) if 'loss' in r]


def train_check(name, config_args, device, dtype, work_dir):
    """Train; PASS where every logged loss is finite."""
    start = time.time()
    proc = tool(
        ['tools/train.py'] + config_args + ['--work-dir', work_dir],
        device,
        amp=dtype)
    seen = losses(work_dir) if proc.returncode == 0 else []
    if proc.returncode or not seen or not all(map(math.isfinite, seen)):
        return report('FAIL', f'train {name} {dtype}',
                      f'{last_line(proc)}; losses {seen[:4]}', start)
    report('PASS', f'train {name} {dtype}',
           f'{len(seen)} logged losses, {seen[0]:.3f} -> {seen[-1]:.3f}',
           start)


def test_check(name, config_args, checkpoint, device, pattern, work_dir):
    """Test a trained checkpoint; PASS where the metric is printed."""
    start = time.time()
    config, *options = config_args
    proc = tool(['tools/test.py', config, checkpoint, '--work-dir', work_dir] +
                options, device)
    found = re.findall(pattern, proc.stdout + proc.stderr)
    if proc.returncode or not found:
        return report('FAIL', f'test {name}', last_line(proc), start)
    report('PASS', f'test {name}', found[-1], start)


def task_configs(data, work, quick, device):
    """(name, config and options, metric pattern) per task."""
    det_scale = (448, 288) if quick or device == 'cpu' else (1333, 800)
    crop = 256 if quick or device == 'cpu' else 512
    tasks = [('digits',
              [DIGITS_CONFIG] + digits_options(data['digits'], max_epochs=1),
              r'accuracy/top1: [\d.]+')]
    for name, base in (('faster_rcnn', FASTER_RCNN_CONFIG), ('detr',
                                                             DETR_CONFIG)):
        extra = ("model['test_cfg'] = dict(rcnn=dict(score_thr=0.0))"
                 if name == 'faster_rcnn' else '')
        cfg = small_detection_config(
            work,
            base,
            data['coco'],
            max_epochs=2,
            scale=det_scale,
            extra=extra)
        tasks.append((name, [cfg], r'coco/bbox_mAP: [\d.-]+'))
    cfg = small_segmentation_config(
        work, data['ade20k'], max_iters=6, crop=crop)
    tasks.append(('trans2seg', [cfg], r'mIoU: [\d.]+'))
    return tasks


def checkpoint_of(work_dir):
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def dist_check(data, device, work_dir):
    """A 1-process tools/dist_train.sh job; PASS where its backend is NCCL
    (gloo on CPU)."""
    start = time.time()
    backend = 'nccl' if device == 'cuda' else 'gloo'
    proc = subprocess.run(
        [
            'bash', 'tools/dist_train.sh', DIGITS_CONFIG, '1', '--work-dir',
            work_dir, '--device', device
        ] + digits_options(data['digits'], max_epochs=1),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        env=dict(os.environ, PYTHON=sys.executable, PORT='29517'))
    said = re.findall(r'mmtnt: backend \w+, device .*',
                      proc.stdout + proc.stderr)
    if proc.returncode or not said or f'backend {backend}' not in said[0]:
        return report('FAIL', 'dist_train.sh 1 process',
                      said[0] if said else last_line(proc), start)
    report('PASS', 'dist_train.sh 1 process', said[0], start)


def bench_check(args, out_dir):
    """tools/analysis_tools/benchmark.py on the device; the table goes to
    ``out_dir/benchmark_gpu.md`` and, with ``--docs``, into that file."""
    start = time.time()
    csv_path = osp.join(out_dir, 'benchmark_gpu.csv')
    cmd = [
        'tools/analysis_tools/benchmark.py', '--device', args.device,
        '--dtype', 'bfloat16', '--batch-size', '8' if args.quick else '128',
        '--repeats', '2' if args.quick else '10', '--csv', csv_path
    ] + ([] if args.quick else ['--compile'])
    proc = run_tool(cmd, in_process=False, check=False, timeout=3600)
    if proc.returncode or not osp.exists(csv_path):
        return report('FAIL', 'benchmark', last_line(proc), start)
    section = bench_markdown(csv_path, proc.stdout)
    Path(out_dir, 'benchmark_gpu.md').write_text(section)
    if args.docs:
        put_section(args.docs, section)
    report('PASS', 'benchmark', f'table in {out_dir}/benchmark_gpu.md', start)


def bench_markdown(csv_path, stdout):
    import csv
    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    cols = [
        c for c in ('model', 'mode', 'images_per_s', 'ratio_to_deit_s',
                    'compiled_images_per_s', 'compiled_ratio_to_deit_s',
                    'peak_mem_mb', 'mem_ratio_to_deit_s') if c in rows[0]
    ]
    head = stdout.strip().splitlines()[0]
    lines = [
        BEGIN, f'### GPU: {rows[0]["machine"]} (tests/gpu_check.py)', '',
        f'`{head}`', '', '| ' + ' | '.join(cols) + ' |',
        '|' + '---|' * len(cols)
    ]
    lines += ['| ' + ' | '.join(r[c] for c in cols) + ' |' for r in rows]
    return '\n'.join(lines + [END]) + '\n'


def put_section(path, section):
    text = Path(path).read_text()
    if BEGIN in text:
        text = text[:text.index(BEGIN)] + section + text[text.index(END) +
                                                         len(END) + 1:]
    else:
        text = text.rstrip('\n') + '\n\n' + section
    Path(path).write_text(text)


def make_data(root):
    run_tool([
        'tools/dataset_converters/digits_to_imagenet.py',
        osp.join(root, 'digits')
    ])
    return dict(
        digits=osp.join(root, 'digits'),
        coco=make_demo('coco', osp.join(root, 'coco'), '--train', 4, '--val',
                       4, '--seed', 1),
        ade20k=make_demo('ade20k', osp.join(root, 'ade20k'), '--train', 4,
                         '--val', 2, '--seed', 1))


def stack_check():
    start = time.time()
    proc = run_tool(['tools/misc/check_stack.py'],
                    in_process=False,
                    check=False)
    status = 'PASS' if proc.returncode == 0 else 'FAIL'
    report(status, 'stack', last_line(proc), start)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--device', choices=['cuda', 'cpu'], default='cuda')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='small images and a short benchmark')
    parser.add_argument('--out-dir', default='work_dirs/gpu_check')
    parser.add_argument(
        '--docs',
        help='put the benchmark table into this '
        'markdown file (e.g. docs/benchmark.md)')
    parser.add_argument(
        '--skip',
        nargs='*',
        default=[],
        help='checks to leave out: train test dist bench')
    parser.add_argument(
        '--tasks',
        nargs='*',
        default=['digits', 'faster_rcnn', 'detr', 'trans2seg'],
        help='the tasks to train and test')
    return parser.parse_args()


def main():
    args = parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    if args.device == 'cuda' and not torch.cuda.is_available():
        for name in ('stack', 'train', 'test', 'dist', 'bench'):
            report('SKIP', name, 'no GPU', time.time())
        return 0
    dtypes = ['float32', 'float16']
    if args.device == 'cpu' or torch.cuda.is_bf16_supported():
        dtypes.append('bfloat16')
    work = Path(tempfile.mkdtemp(prefix='gpu_check_'))
    stack_check()
    data = make_data(str(work / 'data'))
    for name, config_args, metric in task_configs(data, work, args.quick,
                                                  args.device):
        if name not in args.tasks:
            continue
        for dtype in dtypes if 'train' not in args.skip else []:
            work_dir = str(work / f'{name}_{dtype}')
            if name == 'faster_rcnn' and args.device == 'cpu' and \
                    dtype != 'float32':
                report('SKIP', f'train {name} {dtype}', "mmcv's CPU NMS "
                       'and RoIAlign take float32 only', time.time())
                continue
            train_check(name, config_args, args.device, dtype, work_dir)
            if dtype == 'float32' and 'test' not in args.skip and \
                    osp.exists(osp.join(work_dir, 'last_checkpoint')):
                test_check(name, config_args, checkpoint_of(work_dir),
                           args.device, metric, work_dir)
    if 'dist' not in args.skip:
        dist_check(data, args.device, str(work / 'dist'))
    if 'bench' not in args.skip:
        bench_check(args, args.out_dir)
    shutil.rmtree(work, ignore_errors=True)
    failed = RESULTS.count('FAIL')
    print(f'{RESULTS.count("PASS")} passed, {failed} failed', flush=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
