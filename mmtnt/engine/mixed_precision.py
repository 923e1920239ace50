"""Mixed-precision training on CUDA or CPU: float16 with a dynamic loss
scale, or bfloat16 without one.

    optim_wrapper = dict(type='mmtnt.MixedPrecisionOptimWrapper',
                         dtype='bfloat16', optimizer=..., clip_grad=...)

``tools/train.py --amp [--amp-dtype ...]`` sets it up (:func:`amp_dtype`).
"""
from contextlib import contextmanager

import torch
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from mmtnt.registry import OPTIM_WRAPPERS
from .non_finite_loss import NonFiniteLossGuard

AMP_CLIP_NORM = 5.0  # mmpretrain's Swin/DeiT-style AdamW recipes clip at 5.0


def amp_dtype(requested='auto', device=None, scope=None):
    """The autocast dtype of ``--amp``: ``requested``, or for ``'auto'``
    bfloat16 where ``device`` ('cuda' or 'cpu', default: CUDA if available)
    computes in it, float16 elsewhere, and float16 for detectors (``scope``
    'mmdet': mmcv 2.1's RoIAlign has no bfloat16 kernel; mmdet's own AMP
    configs train in float16)."""
    if requested != 'auto':
        return requested
    if scope == 'mmdet':
        return 'float16'
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if device == 'cuda':
        return 'bfloat16' if torch.cuda.is_bf16_supported() else 'float16'
    return 'bfloat16'  # CPU autocast computes bfloat16 on every x86 CPU


@OPTIM_WRAPPERS.register_module()
class MixedPrecisionOptimWrapper(NonFiniteLossGuard, AmpOptimWrapper):
    """mmengine's ``AmpOptimWrapper`` for CUDA and CPU, float16 or bfloat16.

    float16 scales the loss dynamically (``torch.amp.GradScaler``; a step
    whose gradients overflow is skipped and the scale lowered); bfloat16 has
    float32's range and scales nothing. Gradients are unscaled before
    ``clip_grad``. A non-finite loss stops the run or skips its step on
    every rank (:class:`NonFiniteLossGuard`).

    Args:
        dtype (str): ``'float16'`` or ``'bfloat16'``.
        loss_scale (str | float | dict): ``'dynamic'``, a fixed scale, or
            ``GradScaler`` arguments (float16 only).
        on_nonfinite_loss (str): ``'stop'`` or ``'skip'``.
        **kwargs: ``OptimWrapper`` arguments (optimizer, clip_grad, ...).
    """

    def __init__(self,
                 dtype='bfloat16',
                 loss_scale='dynamic',
                 on_nonfinite_loss='stop',
                 **kwargs):
        OptimWrapper.__init__(self, **kwargs)  # AmpOptimWrapper needs a GPU
        self._set_guard(on_nonfinite_loss)
        if dtype not in ('float16', 'bfloat16'):
            raise ValueError(
                f"MixedPrecisionOptimWrapper: dtype={dtype!r}; use 'float16' or 'bfloat16'"  # noqa: E501
            )
        self.cast_dtype = getattr(torch, dtype)
        self.device_type = 'cuda' if torch.cuda.is_available() else 'cpu'
        self._scale_update_param = None
        scaler = {}
        if isinstance(loss_scale, dict):
            scaler = dict(loss_scale)
        elif isinstance(loss_scale, float):
            self._scale_update_param = loss_scale
            scaler = dict(init_scale=loss_scale)
        self.loss_scaler = torch.amp.GradScaler(
            self.device_type, enabled=dtype == 'float16', **scaler)

    @contextmanager
    def optim_context(self, model):
        with OptimWrapper.optim_context(self, model), torch.autocast(
                self.device_type, dtype=self.cast_dtype):
            yield


def amp_optim_wrapper(optim_wrapper, dtype='auto', scope=None):
    """``optim_wrapper`` (a config dict) under mixed precision, as
    ``tools/train.py --amp`` sets it: :class:`MixedPrecisionOptimWrapper`
    with ``dtype`` (``'auto'``: bfloat16 where the device computes in it,
    else float16 with a dynamic loss scale; see :func:`amp_dtype` for the
    config's ``scope``); the optimizer and a config's own clipping kept,
    gradients clipped to norm ``AMP_CLIP_NORM`` where it sets none."""
    wrapper = dict(optim_wrapper)
    wrapper.update(
        type='mmtnt.MixedPrecisionOptimWrapper',
        dtype=amp_dtype(dtype, scope=scope))
    if wrapper['dtype'] == 'float16':
        wrapper.setdefault('loss_scale', 'dynamic')
    else:
        wrapper.pop('loss_scale', None)
    if not wrapper.get('clip_grad'):  # docs/reliability.md: mixed precision
        wrapper['clip_grad'] = dict(max_norm=AMP_CLIP_NORM)
    return wrapper
