"""A trained model's way to deployment, checked: tools/deployment's export
with a dynamic batch and size, onnxruntime against torch at other sizes than
the traced one, and test_onnx.py's metrics against tools/test.py's."""
import glob
import os.path as osp
import pickle
import re

import numpy as np
import onnx

from mmtnt.apis import get_model, onnx_max_difference
from mmtnt.utils import load_config
from tests.helpers import photos, run_tool


def printed_test_metrics(stdout):
    """{name: value} of the last ``Epoch(test)`` / ``Iter(test)`` line
    mmengine printed."""
    lines = [
        line for line in stdout.splitlines()
        if 'Epoch(test)' in line or 'Iter(test)' in line
    ]
    assert lines, stdout[-2000:]
    return {
        key: float(value)
        for key, value in re.findall(r'(\S+): (-?\d+\.\d+)', lines[-1])
    }


def deploy_and_compare(config, checkpoint, work_dir, traced, sizes):
    """Export ``checkpoint`` (traced at ``traced`` (H, W)), check that the
    graphs hold standard ONNX ops only, compare torch and onnxruntime at
    batch 1 on ``sizes[0]`` and batch 2 on ``sizes[1]``, and evaluate the
    graph with test_onnx.py.

    Returns:
        tuple: (the two largest differences, test_onnx.py's metrics, the
        file test_onnx.py dumped its predictions to).
    """
    out = osp.join(work_dir, 'deployed.onnx')
    run_tool([
        'tools/deployment/pytorch2onnx.py', config, checkpoint, '--out', out,
        '--dynamic-batch', '--dynamic-hw', '--img-size', *traced
    ])
    for graph in glob.glob(osp.join(work_dir, 'deployed*.onnx')):
        domains = {node.domain for node in onnx.load(graph).graph.node}
        assert domains <= {'', 'ai.onnx'}, (graph, domains)  # no custom op
    model = get_model(load_config(config), checkpoint)
    diffs = [
        onnx_max_difference(model, out,
                            photos(size)[:batch])
        for batch, size in zip((1, 2), sizes)
    ]
    dumped = osp.join(work_dir, 'onnx_predictions.pkl')
    proc = run_tool([
        'tools/deployment/test_onnx.py', config, out, '--work-dir',
        osp.join(work_dir, 'onnx'), '--out', dumped
    ])
    return diffs, printed_test_metrics(proc.stdout + proc.stderr), dumped


def prediction_arrays(pkl):
    """{(sample index, field): array} of the predictions in a --out file
    (scores, labels, boxes, segmentation logits)."""
    with open(pkl, 'rb') as f:
        samples = pickle.load(f)
    out = {}
    for i, sample in enumerate(samples):
        for field in ('pred_score', 'pred_label'):
            if field in sample:
                out[i, field] = np.asarray(sample[field])
        for key, value in sample.get('pred_instances', {}).items():
            out[i, key] = np.asarray(value)
        if 'seg_logits' in sample:  # label maps tie where two logits do
            out[i, 'seg_logits'] = np.asarray(sample['seg_logits']['data'])
    return out


def unordered_difference(a, b):
    """Largest distance from a row of ``a`` to its nearest row of ``b`` and
    back: detections whose scores tie to 1e-8 may come out in either order."""
    a = a.reshape(len(a), -1).astype(np.float64)
    b = b.reshape(len(b), -1).astype(np.float64)
    dist = np.abs(a[:, None] - b[None]).max(-1)  # (len(a), len(b))
    return max(dist.min(1).max(), dist.min(0).max())


def largest_prediction_difference(pkl_a, pkl_b):
    """Largest difference between the same predictions in two --out files
    (the same fields and shapes): absolute for scores, labels and logits; a
    detection's boxes are matched to the nearest box of the other file."""
    a, b = prediction_arrays(pkl_a), prediction_arrays(pkl_b)
    assert a.keys() == b.keys() and a, (sorted(a)[:5], sorted(b)[:5])
    largest = 0.
    for key in a:
        assert a[key].shape == b[key].shape, key
        if not a[key].size:
            continue
        if key[1] == 'bboxes':
            diff = unordered_difference(a[key], b[key])
        elif key[1] in ('scores', 'labels'):
            diff = np.abs(np.sort(a[key]) - np.sort(b[key])).max()
        else:
            diff = np.abs(a[key].astype(np.float64) - b[key]).max()
        largest = max(largest, float(diff))
    return largest
