"""ONNX export of classifiers (mmtnt.apis.export_onnx, tools/deployment):
onnxruntime's logits equal torch's at other batch sizes and input sizes than
the traced ones, with standard ONNX ops only."""
import os.path as osp

import numpy as np
import onnx
import pytest
import torch

from mmtnt.apis import (export_onnx, get_inferencer, get_model,
                        onnx_max_difference)
from mmtnt.deploy import OnnxModel
from tests.helpers import DIGITS_CONFIG, ROOT, digits_options, photos, run_tool
from tests.helpers.onnx_checks import (largest_prediction_difference,
                                       printed_test_metrics)

TNT_TI = osp.join(ROOT, 'configs/tnt/tnt-ti_16xb64_in1k.py')


@pytest.fixture(scope='module')
def tnt_ti():
    torch.manual_seed(0)
    model = get_model(TNT_TI).eval()
    model.init_weights()
    return model


def standard_ops_only(path):
    domains = {node.domain for node in onnx.load(path).graph.node}
    return domains <= {'', 'ai.onnx'}


def test_dynamo_export_holds_at_any_batch_and_size(tnt_ti, tmp_path):
    path = export_onnx(
        tnt_ti,
        str(tmp_path / 'tnt_ti.onnx'),
        dynamic_batch=True,
        dynamic_hw=True)
    assert standard_ops_only(path)
    # traced at 2 x 224 x 224; 301 x 457 is padded to whole sentences
    for batch, size in ((1, (224, 224)), (3, (160, 256)), (2, (301, 457))):
        images = photos(size)[:batch]
        assert onnx_max_difference(tnt_ti, path, images) < 1e-4, size


def test_torchscript_export_with_a_dynamic_batch(tnt_ti, tmp_path):
    path = export_onnx(
        tnt_ti,
        str(tmp_path / 'tnt_ti_ts.onnx'),
        exporter='torchscript',
        opset=17)
    assert standard_ops_only(path)
    for batch in (1, 3):
        assert onnx_max_difference(tnt_ti, path, photos(224)[:batch]) < 1e-4


def test_other_models_are_refused_and_the_fused_op_is_not_exported(
        tnt_ti, tmp_path):
    with pytest.raises(ValueError, match='Linear is not supported'):
        export_onnx(torch.nn.Linear(2, 2), str(tmp_path / 'x.onnx'))
    for block in tnt_ti.backbone.blocks:
        block.fused_inner = True
    try:
        with pytest.raises(Exception, match='being exported or traced'):
            export_onnx(
                tnt_ti, str(tmp_path / 'fused.onnx'), dynamic_batch=False)
    finally:
        for block in tnt_ti.backbone.blocks:
            block.fused_inner = 'auto'


@pytest.mark.slow
def test_pyramid_tnt_exports_with_a_dynamic_batch_and_size(tmp_path):
    model = get_model(
        osp.join(ROOT, 'configs/pyramid_tnt/pyramid-tnt-ti_8xb128_in1k.py'))
    model.init_weights()
    path = export_onnx(
        model.eval(),
        str(tmp_path / 'ptnt_ti.onnx'),
        img_size=(192, 192),
        dynamic_hw=True)
    assert standard_ops_only(path)
    # position encoding and attention biases resized (bicubic) in the graph
    for batch, size in ((1, (224, 224)), (3, (256, 320)), (2, (301, 457))):
        images = photos(size)[:batch]
        assert onnx_max_difference(model, path, images) < 1e-4, size


@pytest.mark.slow
def test_tool_exports_verifies_and_evaluates_digits(digits_trained,
                                                    digits_root, tmp_path):
    ckpt = osp.join(digits_trained[0], 'epoch_2.pth')
    image = osp.join(digits_root, 'val', 'seven', '0017.png')
    out = str(tmp_path / 'digits.onnx')
    proc = run_tool([
        'tools/deployment/pytorch2onnx.py', DIGITS_CONFIG, ckpt, '--out', out,
        '--dynamic-batch', '--verify', image
    ])
    diff = float(proc.stdout.split('outputs ')[-1])
    assert osp.isfile(out) and diff < 1e-4
    # the held-out set in onnxruntime: the same accuracy, the same scores
    opts = digits_options(digits_root)
    torch_out, onnx_out = str(tmp_path / 'torch.pkl'), str(tmp_path /
                                                           'onnx.pkl')
    tested = run_tool([
        'tools/test.py', DIGITS_CONFIG, ckpt, '--work-dir',
        str(tmp_path / 'torch'), '--out', torch_out
    ] + opts)
    deployed = run_tool([
        'tools/deployment/test_onnx.py', DIGITS_CONFIG, out, '--work-dir',
        str(tmp_path / 'onnx'), '--out', onnx_out
    ] + opts)
    accuracy = printed_test_metrics(tested.stdout + tested.stderr)
    assert 'accuracy/top1' in accuracy
    assert printed_test_metrics(
        deployed.stdout + deployed.stderr)['accuracy/top1'] == pytest.approx(
            accuracy['accuracy/top1'], abs=0.1)
    assert largest_prediction_difference(torch_out, onnx_out) < 1e-5


def test_inferencer_on_an_onnx_file_classifies_as_torch(tnt_ti, tmp_path):
    ckpt = str(tmp_path / 'tnt_ti.pth')
    torch.save({'state_dict': tnt_ti.state_dict()}, ckpt)
    path = export_onnx(tnt_ti, str(tmp_path / 'tnt_ti.onnx'))
    image = (photos(224)[1].permute(1, 2, 0).numpy() * 127.5 + 127.5).astype(
        np.uint8)[..., ::-1]  # an HxWx3 BGR array, as mmcv reads one
    in_torch = get_inferencer(TNT_TI, ckpt)([image])[0]
    onnx_inferencer = get_inferencer(TNT_TI, onnx=path)
    assert isinstance(onnx_inferencer.model, OnnxModel)
    in_onnx = onnx_inferencer([image])[0]
    assert in_onnx['pred_label'] == in_torch['pred_label']
    assert np.abs(
        np.asarray(in_onnx['pred_scores']) -
        np.asarray(in_torch['pred_scores'])).max() < 1e-5
