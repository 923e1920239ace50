"""MixedPrecisionOptimWrapper: float16 with a dynamic loss scale and bfloat16
train like float32 on CPU; an overflowing float16 step is skipped."""
import copy

import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample
from sklearn.datasets import load_digits

from mmtnt.engine import (MixedPrecisionOptimWrapper, amp_dtype,
                          amp_optim_wrapper)
from tests.helpers import build_classifier


def digits_batch(n=64):
    """Real handwritten digits as the digits config sees them: (n, 3, 16,
    16) in [-1, 1], with labels."""
    digits = load_digits()
    img = torch.from_numpy(digits.images[:n].astype(np.float32) / 8 - 1)
    img = torch.nn.functional.interpolate(img[:, None], size=16)
    samples = [DataSample().set_gt_label(int(t)) for t in digits.target[:n]]
    return img.expand(-1, 3, -1, -1).contiguous(), samples


def train_losses(model, dtype, steps=6):
    params = model.parameters()
    optimizer = torch.optim.AdamW(params, lr=1e-3)
    if dtype == 'float32':
        from mmengine.optim import OptimWrapper
        wrapper = OptimWrapper(optimizer=optimizer)
    else:
        wrapper = MixedPrecisionOptimWrapper(dtype=dtype, optimizer=optimizer)
    images, samples = digits_batch()
    out = []
    for _ in range(steps):
        with wrapper.optim_context(model):
            loss = model.loss(images, samples)['loss']
        wrapper.update_params(loss)
        out.append(loss.item())
    return out, wrapper


@pytest.mark.parametrize('dtype', ['float16', 'bfloat16'])
def test_mixed_precision_trains_like_float32(dtype):
    torch.manual_seed(0)
    model = build_classifier(
        'tnt-mini-p8_1xb64-100e_digits.py', init=True).train()
    reference, _ = train_losses(copy.deepcopy(model), 'float32')
    mixed, wrapper = train_losses(copy.deepcopy(model), dtype)
    assert mixed[-1] < mixed[0] - 0.1  # it learns
    np.testing.assert_allclose(mixed, reference, atol=0.05)
    scaler = wrapper.loss_scaler
    assert scaler.is_enabled() == (dtype == 'float16')
    if dtype == 'float16':
        assert scaler.get_scale() == 2.0**16  # no step overflowed


def test_float16_overflow_skips_the_step_and_lowers_the_scale():
    layer = torch.nn.Linear(4, 2)
    before = copy.deepcopy(layer.state_dict())
    wrapper = MixedPrecisionOptimWrapper(
        dtype='float16', optimizer=torch.optim.SGD(layer.parameters(), lr=0.1))
    with wrapper.optim_context(layer):
        out = layer(torch.ones(3, 4))
    assert out.dtype == torch.float16
    # 1e5 * 65536 overflows float16 in the backward pass
    wrapper.update_params(out.float().sum() * 1e5)
    assert all(
        torch.equal(before[k], v) for k, v in layer.state_dict().items())
    assert wrapper.loss_scaler.get_scale() == 2.0**15


def test_amp_config_keeps_optimizer_and_clipping():
    cfg = dict(
        optimizer=dict(type='AdamW', lr=1e-3), clip_grad=dict(max_norm=0.1))
    fp16 = amp_optim_wrapper(cfg, 'float16')  # DETR's own clipping kept
    assert fp16 == dict(
        cfg,
        type='mmtnt.MixedPrecisionOptimWrapper',
        dtype='float16',
        loss_scale='dynamic')
    bf16 = amp_optim_wrapper(dict(cfg, loss_scale=512.0), 'bfloat16')
    assert 'loss_scale' not in bf16 and bf16['dtype'] == 'bfloat16'
    unclipped = amp_optim_wrapper(dict(optimizer=cfg['optimizer']), 'bfloat16')
    assert unclipped['clip_grad'] == dict(max_norm=5.0)
    assert amp_dtype('auto', 'cpu') == 'bfloat16'
    assert amp_dtype('float16', 'cpu') == 'float16'
    assert amp_dtype('auto', 'cpu', scope='mmdet') == 'float16'
    with pytest.raises(ValueError, match="dtype='float64'"):
        MixedPrecisionOptimWrapper(
            dtype='float64',
            optimizer=torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), 1))
