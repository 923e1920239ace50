"""Inference and training-step time of mmtnt's TNT-S beside timm's DeiT-S and TNT-S.

    make bench            # = pytest tests/benchmarks --benchmark-only ...

Same models and steps as tools/analysis_tools/benchmark.py (which interleaves them in one
process and prints ratios); here pytest-benchmark keeps the statistics and can compare runs
(``--benchmark-compare``). Batch size: ``MMTNT_BENCH_BATCH`` (default 16).
"""
import os

import pytest
import torch

from tools.analysis_tools.benchmark import Runner, build, parse_args, tune_malloc

MODELS = ['timm-deit-s', 'mmtnt-s', 'timm-tnt-s', 'mmpretrain-tnt-s', 'mmtnt-s-1']


@pytest.fixture(scope='module', autouse=True)
def malloc_tuning():
    tune_malloc()


@pytest.mark.parametrize('mode', ['infer', 'train'])
@pytest.mark.parametrize('name', MODELS)
def test_step(benchmark, name, mode):
    args = parse_args(['--batch-size', os.environ.get('MMTNT_BENCH_BATCH', '16')])
    torch.manual_seed(0)
    model = build(name, args.img_size)
    if model is None:
        pytest.skip(f'{name}: library not installed')
    runner = Runner(model, mode, args)
    benchmark.group = f'{mode} batch {args.batch_size}'
    benchmark.extra_info['images'] = args.batch_size
    benchmark.pedantic(runner.step, warmup_rounds=2, rounds=5)
