"""Inference and training-step time of mmtnt's TNT-S (fused inner transformer,
and eager) beside timm's DeiT-S and TNT-S.

    make bench            # = pytest tests/benchmarks --benchmark-only ...

Same models and steps as tools/analysis_tools/benchmark.py (which interleaves
them in one process and prints ratios); here pytest-benchmark keeps the
statistics and can compare runs (``--benchmark-compare``). Batch size:
``MMTNT_BENCH_BATCH`` (default 16).
"""
import os
import os.path as osp
import sys

import pytest
import torch

from tests.helpers import ROOT

sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis_tools'))
from benchmark_models import StepTimer, build_model, tune_malloc  # noqa: E402

MODELS = [
    'timm-deit-s', 'mmtnt-s', 'mmtnt-s-eager', 'timm-tnt-s',
    'mmpretrain-tnt-s', 'mmtnt-s-1'
]


@pytest.fixture(scope='module', autouse=True)
def malloc_tuning():
    tune_malloc()


@pytest.mark.parametrize('mode', ['infer', 'train'])
@pytest.mark.parametrize('name', MODELS)
def test_step(benchmark, name, mode):
    batch_size = int(os.environ.get('MMTNT_BENCH_BATCH', '16'))
    torch.manual_seed(0)
    model = build_model(name)
    if model is None:
        pytest.skip(f'{name}: library not installed')
    runner = StepTimer(model, mode, batch_size=batch_size)
    benchmark.group = f'{mode} batch {batch_size}'
    benchmark.extra_info['images'] = batch_size
    benchmark.pedantic(runner.step, warmup_rounds=2, rounds=5)
