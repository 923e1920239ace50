"""Side-by-side speed and memory of mmtnt's TNT, timm's TNT-S and DeiT-S and
mmpretrain's TNT-S.

    python tools/analysis_tools/benchmark.py [--models mmtnt-s timm-deit-s ...]
        [--mode infer train] [--batch-size 16] [--device cpu] [--dtype float32]
        [--compile] [--onnxruntime] [--with-cp] [--table5] [--repeats 10]
        [--csv results.csv]

All models live in one process and are timed interleaved; the median over
repeats is reported as images/s and as a ratio to timm's DeiT-S, with peak
memory. ``--compile`` adds each model's ``torch.compile`` figures as columns
beside its eager ones (ratios to compiled DeiT-S), ``--onnxruntime`` its
figures in onnxruntime (inference; ratios to DeiT-S in onnxruntime). How it
measures, and why: docs/benchmark.md.
"""
import argparse
import csv
import itertools
import multiprocessing as mp
import os
import os.path as osp
import platform
import statistics
import tempfile

import torch
# the models and the timer, beside this file (tools/ is no package)
from benchmark_models import (DEFAULT_MODELS, DTYPES, REFERENCE, TABLE5,
                              OnnxStepTimer, StepTimer, build_model,
                              tune_malloc)
from mmengine.utils import ProgressBar


def import_libraries():
    """Import what the models need, so that imports do not count as memory."""
    try:
        import timm  # noqa: F401  (optional)
    except ImportError:
        pass


# How a model runs: eager torch, torch.compile, onnxruntime; the column prefix.
VARIANTS = {'eager': '', 'compiled': 'compiled_', 'onnxruntime': 'ort_'}


def timer(name, model, mode, args, variant='eager', onnx_dir=None):
    if variant == 'onnxruntime':
        return OnnxStepTimer(
            model,
            osp.join(onnx_dir, f'{name}.onnx'),
            batch_size=args.batch_size,
            img_size=args.img_size,
            threads=args.threads)
    return StepTimer(
        model,
        mode,
        batch_size=args.batch_size,
        img_size=args.img_size,
        device=args.device,
        dtype=args.dtype,
        compile=variant == 'compiled')


def variants_of(mode, args):
    """The variants timed in ``mode``: onnxruntime infers only."""
    out = ['eager']
    if args.compile:
        out.append('compiled')
    if args.onnxruntime and mode == 'infer':
        out.append('onnxruntime')
    return out


def rss_kb(field):
    """'VmRSS' (now) or 'VmHWM' (peak since the last reset) of this process, in
    KiB.
    """
    with open('/proc/self/status') as f:
        return int(
            next(line.split()[1] for line in f
                 if line.startswith(field + ':')))


def reset_peak_rss():
    # Linux >= 4.0: writing 5 resets VmHWM, so imports before this do not
    # count.
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')


def _cpu_peak_child(name, mode, args, queue):
    torch.set_num_threads(args.threads)
    if args.malloc_tuning == 'on':
        tune_malloc()
    import_libraries()  # their import is not the model's memory
    reset_peak_rss()
    before = rss_kb('VmRSS')
    model = build_model(name, args.img_size, args.with_cp)
    runner = timer(name, model, mode, args)
    runner.step()
    runner.step()
    queue.put((rss_kb('VmHWM') - before) / 1024)


def peak_memory_mb(name, mode, args, runner=None):
    """Peak memory of one step in MiB (see the module docstring for what is
    counted).
    """
    if args.device.startswith('cuda'):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        runner.step()
        return torch.cuda.max_memory_allocated() / 2**20
    ctx = mp.get_context('spawn')
    queue = ctx.Queue()
    proc = ctx.Process(target=_cpu_peak_child, args=(name, mode, args, queue))
    proc.start()
    proc.join()
    if proc.exitcode:
        raise RuntimeError(
            f'benchmark: the memory probe of {name} ({mode}) exited with {proc.exitcode}; run it with --no-memory to skip the probe.'  # noqa: E501
        )
    return queue.get()


def machine():
    if torch.cuda.is_available():
        return torch.cuda.get_device_name()
    try:
        with open('/proc/cpuinfo') as f:
            name = next(
                line.split(':', 1)[1].strip() for line in f
                if 'model name' in line)
    except (OSError, StopIteration):
        name = platform.processor() or platform.machine()
    return f'{name}, {torch.get_num_threads()} threads'


def run(args):
    """Benchmark every model in every mode; return a list of result dicts."""
    names = list(
        dict.fromkeys(args.models + (list(TABLE5) if args.table5 else [])))
    if REFERENCE not in names:
        names.append(REFERENCE)
    models = {}
    for name in names:
        model = build_model(name, args.img_size, args.with_cp)
        if model is None:
            print(f'benchmark: skipping {name} (its library is not installed)')
            continue
        models[name] = model
    rows = []
    for mode in args.mode:
        rows += time_mode(models, mode, args)
    return rows


def time_mode(models, mode, args):
    """Rows of every model in ``mode``, its variants timed interleaved."""
    variants = variants_of(mode, args)
    with tempfile.TemporaryDirectory() as onnx_dir:
        # One runner per model and variant, sharing weights.
        if 'compiled' in variants:
            print(f'compiling {len(models)} models ({mode})')
        runners = {}
        for (n, m), v in itertools.product(models.items(), variants):
            try:
                runners[n, v] = timer(n, m, mode, args, v, onnx_dir)
            except Exception as err:  # noqa: BLE001 (one that fails to export)
                first = (str(err).strip().splitlines() or [''])[0][:200]
                print(
                    f'benchmark: {n} not timed in {v}: {type(err).__name__}: {first}'  # noqa: E501
                )
        for runner in runners.values():
            for _ in range(args.warmup):
                runner.step()
        times = {key: [] for key in runners}
        print(
            f'timing {mode}: {args.repeats} interleaved rounds of {len(runners)} models'  # noqa: E501
        )
        bar = ProgressBar(args.repeats)
        for _ in range(args.repeats):
            for key, runner in runners.items():
                times[key].append(runner.timed_step())
            bar.update()
        print()
    med = {key: statistics.median(t) for key, t in times.items()}
    mems = {}
    if args.memory:
        mems = {
            n: peak_memory_mb(n, mode, args, runners[n, 'eager'])
            for n in models
        }
    return [row_of(n, mode, variants, med, mems, args) for n in models]


def row_of(name, mode, variants, med, mems, args):
    row = dict(model=name, mode=mode)
    for variant in variants:
        prefix = VARIANTS[variant]
        if (name, variant) not in med:
            row[prefix + 'images_per_s'] = row[prefix + 'ratio_to_deit_s'] = ''
            continue
        ref = med.get((REFERENCE, variant), float('nan'))
        row[prefix + 'images_per_s'] = round(
            args.batch_size / med[name, variant], 2)
        row[prefix + 'ratio_to_deit_s'] = round(ref / med[name, variant], 3)
    row.update(
        peak_mem_mb=round(mems[name], 1) if name in mems else '',
        mem_ratio_to_deit_s=round(mems[name] / mems[REFERENCE], 3)
        if name in mems and REFERENCE in mems else '',
        batch_size=args.batch_size,
        img_size=args.img_size,
        device=args.device,
        dtype=args.dtype,
        with_cp=args.with_cp,
        repeats=args.repeats,
        machine=machine(),
        torch=torch.__version__)
    return row


def print_table(rows):
    cols = [
        c for c in ('model', 'mode', 'images_per_s', 'ratio_to_deit_s',
                    'compiled_images_per_s', 'compiled_ratio_to_deit_s',
                    'ort_images_per_s', 'ort_ratio_to_deit_s', 'peak_mem_mb',
                    'mem_ratio_to_deit_s') if any(c in r for r in rows)
    ]
    widths = [
        max(len(c), *(len(str(r.get(c, ''))) for r in rows)) for c in cols
    ]
    print('  '.join(c.ljust(w) for c, w in zip(cols, widths)))
    for r in rows:
        print('  '.join(
            str(r.get(c, '')).ljust(w) for c, w in zip(cols, widths)))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        '--models',
        nargs='+',
        default=DEFAULT_MODELS,
        help=(
            f'any of {DEFAULT_MODELS + list(TABLE5)}; {REFERENCE} is always added as the reference'  # noqa: E501
        ))
    parser.add_argument(
        '--mode',
        nargs='+',
        choices=['infer', 'train'],
        default=['infer', 'train'])
    parser.add_argument(
        '--table5',
        action='store_true',
        help="add the paper's Table 5 hybrids")
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--dtype',
        choices=list(DTYPES),
        default='float32',
        help='float32, or autocast to bfloat16/float16')
    parser.add_argument(
        '--compile',
        action='store_true',
        help='also time every model under torch.compile (extra columns)')
    parser.add_argument(
        '--onnxruntime',
        action='store_true',
        help='also time every model exported to ONNX in onnxruntime (infer)')
    parser.add_argument(
        '--with-cp',
        action='store_true',
        help='activation checkpointing in mmtnt models')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    parser.add_argument('--malloc-tuning', choices=['on', 'off'], default='on')
    parser.add_argument(
        '--no-memory',
        dest='memory',
        action='store_false',
        help='skip the peak-memory probe')
    parser.add_argument(
        '--csv', help='also write the results to this CSV file')
    args = parser.parse_args(argv)
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        parser.error(
            f'--device {args.device}: no CUDA device is visible; use --device cpu.'  # noqa: E501
        )
    if args.repeats < 1 or args.batch_size < 1:
        parser.error('--repeats and --batch-size must be at least 1.')
    if args.img_size % 16:
        parser.error(
            f'--img-size {args.img_size} must be divisible by the patch size 16.'  # noqa: E501
        )
    return args


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    tuned = args.malloc_tuning == 'on' and tune_malloc()
    torch.manual_seed(0)
    print(
        f'{machine()} | torch {torch.__version__} | batch {args.batch_size} | {args.dtype} | compile={args.compile} | malloc tuning={"on" if tuned else "off"}'  # noqa: E501
    )
    rows = run(args)
    print_table(rows)
    if args.csv:
        os.makedirs(osp.dirname(osp.abspath(args.csv)), exist_ok=True)
        tmp = args.csv + '.tmp'
        with open(tmp, 'w', newline='') as f:
            writer = csv.DictWriter(
                f, fieldnames=list(dict.fromkeys(k for r in rows for k in r)))
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, args.csv)
        print(f'wrote {args.csv}')
    return rows


if __name__ == '__main__':
    main()
