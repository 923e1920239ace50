"""tools/analysis_tools/benchmark.py reports throughput, ratios and memory (no
timing asserts).
"""
import csv

import pytest

from tests.helpers import run_tool

pytestmark = pytest.mark.slow  # end-to-end runs of the tools


def test_benchmark_writes_ratios_and_memory(tmp_path):
    out = tmp_path / 'bench' / 'result.csv'
    proc = run_tool([
        'tools/analysis_tools/benchmark.py', '--models', 'mmtnt-ti',
        '--batch-size', '2', '--img-size', '64', '--repeats', '2', '--warmup',
        '1', '--mode', 'infer', 'train', '--onnxruntime', '--csv',
        str(out)
    ],
                    in_process=False)  # the memory probe spawns a process
    rows = list(csv.DictReader(out.open()))
    # The reference is added even when not asked for; every model in every
    # mode.
    assert {(r['model'], r['mode'])
            for r in rows} == {(m, mode)
                               for m in ('mmtnt-ti', 'timm-deit-s')
                               for mode in ('infer', 'train')}
    for r in rows:
        assert float(r['images_per_s']) > 0
        assert float(r['peak_mem_mb']) > 0
        if r['model'] == 'timm-deit-s':
            assert float(r['ratio_to_deit_s']) == 1.0
            assert float(r['mem_ratio_to_deit_s']) == 1.0
        # onnxruntime columns beside torch's, for inference only
        if r['mode'] == 'infer':
            assert float(r['ort_images_per_s']) > 0
            assert float(r['ort_ratio_to_deit_s']) > 0
        else:
            assert not r['ort_images_per_s']
    train = {
        r['model']: float(r['peak_mem_mb'])
        for r in rows if r['mode'] == 'train'
    }
    # Memory follows the model: DeiT-S (22M params, AdamW) holds far more than
    # TNT-Ti (6M).
    assert train['timm-deit-s'] > 1.5 * train['mmtnt-ti']
    assert 'ratio_to_deit_s' in proc.stdout
    assert 'malloc tuning=on' in proc.stdout


def test_benchmark_rejects_bad_sizes():
    proc = run_tool(['tools/analysis_tools/benchmark.py', '--img-size', '100'],
                    check=False)
    assert proc.returncode != 0
    assert '--img-size 100 must be divisible' in proc.stderr
