"""Side-by-side speed and memory of mmtnt's TNT, timm's TNT-S and DeiT-S and mmpretrain's TNT-S.

    python tools/analysis_tools/benchmark.py [--models mmtnt-s timm-deit-s ...] [--mode infer train]
        [--batch-size 16] [--device cpu] [--dtype float32] [--compile] [--with-cp] [--table5]
        [--repeats 10] [--csv results.csv]

All models live in one process and are timed interleaved (one step of each in turn, repeated),
so slow drift of a noisy machine hits them alike; the median over repeats is reported as
images/s and as a ratio to timm's DeiT-S. ``train`` times a full step: forward, cross-entropy,
backward, AdamW. Peak memory is ``torch.cuda.max_memory_allocated`` on a GPU, and on a CPU the
growth of the peak resident set of a fresh process that builds the model and runs one step
(so every model is charged for its own weights, optimizer state and activations).

``--table5`` adds the paper's Table 5 hybrids TNT-S-1..4, which keep the inner transformer only
in blocks [1,4,8,12], [1,6,12], [1,6] and [1] (mmtnt's ``inner_block_indices``).

On Linux the tool sets glibc's mmap and trim thresholds (``--malloc-tuning off`` to keep the
defaults): with them, freed activation buffers are reused instead of returned to the kernel
and faulted in again on the next step, which otherwise makes CPU timings bimodal (DeiT-S
13 vs 19 images/s here in separate runs of the same command).

Written by hand because mmengine/mmpretrain have no interleaved multi-model throughput tool
(mmpretrain's ``benchmark_regression`` times one config at a time in separate processes).
"""
import argparse
import csv
import ctypes
import multiprocessing as mp
import os
import os.path as osp
import platform
import statistics
import time

import torch

REFERENCE = 'timm-deit-s'
# Paper Table 5 (1-based block indices with the inner transformer).
TABLE5 = {'mmtnt-s-1': [1, 4, 8, 12], 'mmtnt-s-2': [1, 6, 12], 'mmtnt-s-3': [1, 6],
          'mmtnt-s-4': [1]}
DEFAULT_MODELS = ['mmtnt-ti', 'mmtnt-s', 'mmtnt-b', 'timm-tnt-s', 'timm-deit-s',
                  'mmpretrain-tnt-s']
DTYPES = {'float32': torch.float32, 'bfloat16': torch.bfloat16, 'float16': torch.float16}


class Classifier(torch.nn.Module):
    """Backbone + linear head returning logits, the shape every model here is timed in."""

    def __init__(self, backbone, width, num_classes=1000):
        super().__init__()
        self.backbone = backbone
        self.head = torch.nn.Linear(width, num_classes)

    def forward(self, x):
        return self.head(self.backbone(x)[-1])


def build(name, img_size, with_cp=False):
    """Model for a name of ``DEFAULT_MODELS`` or ``TABLE5``; None when its library is missing."""
    if name.startswith('mmtnt-'):
        import mmtnt.models  # noqa: F401  (registers TNT)
        from mmtnt.models.backbones.tnt import TNT
        arch = name.split('-')[1]
        inner = None
        if name in TABLE5:
            arch, inner = 's', [i - 1 for i in TABLE5[name]]
        backbone = TNT(arch, img_size=img_size, inner_block_indices=inner, with_cp=with_cp)
        return Classifier(backbone, backbone.embed_dims)
    if name.startswith('timm-'):
        try:
            import timm
        except ImportError:
            return None
        arch = {'timm-tnt-s': 'tnt_s_patch16_224', 'timm-deit-s': 'deit_small_patch16_224'}[name]
        return timm.create_model(arch, img_size=img_size)
    if name == 'mmpretrain-tnt-s':
        from mmpretrain.models.backbones import TNT as MMPretrainTNT
        return Classifier(MMPretrainTNT('s', img_size=img_size), 384)
    raise ValueError(f'benchmark: unknown model {name!r}; choose from '
                     f'{DEFAULT_MODELS + list(TABLE5)}.')


def import_libraries():
    import mmpretrain.models  # noqa: F401

    import mmtnt.models  # noqa: F401
    try:
        import timm  # noqa: F401
    except ImportError:
        pass


def tune_malloc():
    """Keep freed buffers in the process (glibc only); see the module docstring."""
    try:
        libc = ctypes.CDLL('libc.so.6')
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    big = 1 << 30
    return bool(libc.mallopt(m_mmap_threshold, big)) and bool(libc.mallopt(m_trim_threshold, big))


class Runner:
    """One model's step in one mode, with its inputs and optimizer."""

    def __init__(self, model, mode, args):
        self.mode, self.args = mode, args
        self.device = torch.device(args.device)
        self.model = model.to(self.device).train(mode == 'train')
        self.dtype = DTYPES[args.dtype]
        self.x = torch.randn(args.batch_size, 3, args.img_size, args.img_size, device=self.device)
        self.y = torch.randint(0, 1000, (args.batch_size, ), device=self.device)
        self.opt = torch.optim.AdamW(model.parameters(), lr=1e-4) if mode == 'train' else None
        self.fn = torch.compile(self.model) if args.compile else self.model

    def autocast(self):
        return torch.autocast(self.device.type, dtype=self.dtype,
                              enabled=self.dtype != torch.float32)

    def step(self):
        if self.mode == 'infer':
            with torch.inference_mode(), self.autocast():
                self.fn(self.x)
        else:
            with self.autocast():
                loss = torch.nn.functional.cross_entropy(self.fn(self.x).float(), self.y)
            loss.backward()
            self.opt.step()
            self.opt.zero_grad(set_to_none=True)
        if self.device.type == 'cuda':
            torch.cuda.synchronize()

    def timed_step(self):
        start = time.perf_counter()
        self.step()
        return time.perf_counter() - start


def rss_kb(field):
    """'VmRSS' (now) or 'VmHWM' (peak since the last reset) of this process, in KiB."""
    with open('/proc/self/status') as f:
        return int(next(line.split()[1] for line in f if line.startswith(field + ':')))


def reset_peak_rss():
    # Linux >= 4.0: writing 5 resets VmHWM, so imports before this do not count.
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')


def _cpu_peak_child(name, mode, args, queue):
    torch.set_num_threads(args.threads)
    if args.malloc_tuning == 'on':
        tune_malloc()
    import_libraries()  # their import is not the model's memory
    reset_peak_rss()
    before = rss_kb('VmRSS')
    model = build(name, args.img_size, args.with_cp)
    runner = Runner(model, mode, args)
    runner.step()
    runner.step()
    queue.put((rss_kb('VmHWM') - before) / 1024)


def peak_memory_mb(name, mode, args, runner=None):
    """Peak memory of one step in MiB (see the module docstring for what is counted)."""
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
        raise RuntimeError(f'benchmark: the memory probe of {name} ({mode}) exited with '
                           f'{proc.exitcode}; run it with --no-memory to skip the probe.')
    return queue.get()


def machine():
    if torch.cuda.is_available():
        return torch.cuda.get_device_name()
    try:
        with open('/proc/cpuinfo') as f:
            name = next(line.split(':', 1)[1].strip() for line in f if 'model name' in line)
    except (OSError, StopIteration):
        name = platform.processor() or platform.machine()
    return f'{name}, {torch.get_num_threads()} threads'


def run(args):
    """Benchmark every model in every mode; return a list of result dicts."""
    from mmengine.utils import ProgressBar
    names = list(dict.fromkeys(args.models + (list(TABLE5) if args.table5 else [])))
    if REFERENCE not in names:
        names.append(REFERENCE)
    models = {}
    for name in names:
        model = build(name, args.img_size, args.with_cp)
        if model is None:
            print(f'benchmark: skipping {name} (its library is not installed)')
            continue
        models[name] = model
    rows = []
    for mode in args.mode:
        runners = {n: Runner(m, mode, args) for n, m in models.items()}
        for runner in runners.values():
            for _ in range(args.warmup):
                runner.step()
        times = {n: [] for n in runners}
        print(f'timing {mode}: {args.repeats} interleaved rounds of {len(runners)} models')
        bar = ProgressBar(args.repeats)
        for _ in range(args.repeats):
            for n, runner in runners.items():
                times[n].append(runner.timed_step())
            bar.update()
        print()
        ref = statistics.median(times.get(REFERENCE, [float('nan')]))
        mems = {n: peak_memory_mb(n, mode, args, runners[n]) for n in runners} \
            if args.memory else {}
        for n in runners:
            med = statistics.median(times[n])
            rows.append(dict(
                model=n, mode=mode, batch_size=args.batch_size, img_size=args.img_size,
                device=args.device, dtype=args.dtype, compile=args.compile,
                with_cp=args.with_cp, images_per_s=round(args.batch_size / med, 2),
                ratio_to_deit_s=round(ref / med, 3),
                peak_mem_mb=round(mems[n], 1) if n in mems else '',
                mem_ratio_to_deit_s=round(mems[n] / mems[REFERENCE], 3)
                if n in mems and REFERENCE in mems else '',
                repeats=args.repeats, machine=machine(), torch=torch.__version__))
        del runners
    return rows


def print_table(rows):
    cols = ['model', 'mode', 'images_per_s', 'ratio_to_deit_s', 'peak_mem_mb',
            'mem_ratio_to_deit_s']
    widths = [max(len(c), *(len(str(r[c])) for r in rows)) for c in cols]
    print('  '.join(c.ljust(w) for c, w in zip(cols, widths)))
    for r in rows:
        print('  '.join(str(r[c]).ljust(w) for c, w in zip(cols, widths)))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--models', nargs='+', default=DEFAULT_MODELS,
                        help=f'any of {DEFAULT_MODELS + list(TABLE5)}; {REFERENCE} is '
                        'always added as the reference')
    parser.add_argument('--mode', nargs='+', choices=['infer', 'train'],
                        default=['infer', 'train'])
    parser.add_argument('--table5', action='store_true', help="add the paper's Table 5 hybrids")
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--dtype', choices=list(DTYPES), default='float32',
                        help='float32, or autocast to bfloat16/float16')
    parser.add_argument('--compile', action='store_true', help='torch.compile every model')
    parser.add_argument('--with-cp', action='store_true',
                        help='activation checkpointing in mmtnt models')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    parser.add_argument('--malloc-tuning', choices=['on', 'off'], default='on')
    parser.add_argument('--no-memory', dest='memory', action='store_false',
                        help='skip the peak-memory probe')
    parser.add_argument('--csv', help='also write the results to this CSV file')
    args = parser.parse_args(argv)
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        parser.error(f'--device {args.device}: no CUDA device is visible; use --device cpu.')
    if args.repeats < 1 or args.batch_size < 1:
        parser.error('--repeats and --batch-size must be at least 1.')
    if args.img_size % 16:
        parser.error(f'--img-size {args.img_size} must be divisible by the patch size 16.')
    return args


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    tuned = args.malloc_tuning == 'on' and tune_malloc()
    torch.manual_seed(0)
    print(f'{machine()} | torch {torch.__version__} | batch {args.batch_size} | '
          f'{args.dtype} | compile={args.compile} | malloc tuning={"on" if tuned else "off"}')
    rows = run(args)
    print_table(rows)
    if args.csv:
        os.makedirs(osp.dirname(osp.abspath(args.csv)), exist_ok=True)
        tmp = args.csv + '.tmp'
        with open(tmp, 'w', newline='') as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, args.csv)
        print(f'wrote {args.csv}')
    return rows


if __name__ == '__main__':
    main()
