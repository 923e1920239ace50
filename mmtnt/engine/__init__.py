from .broken_data import BrokenDataHook, BrokenSampleError
from .exact_resume import ExactResumeHook
from .mixed_precision import (MixedPrecisionOptimWrapper, amp_dtype,
                              amp_optim_wrapper)
from .non_finite_loss import NonFiniteLossError, NonFiniteLossHook

__all__ = [
    'BrokenDataHook', 'BrokenSampleError', 'ExactResumeHook',
    'MixedPrecisionOptimWrapper', 'NonFiniteLossError', 'NonFiniteLossHook',
    'amp_dtype', 'amp_optim_wrapper'
]
