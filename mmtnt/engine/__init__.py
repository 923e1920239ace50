from .broken_data import BrokenDataHook, BrokenSampleError
from .exact_resume import ExactResumeHook
from .mixed_precision import (MixedPrecisionOptimWrapper, amp_dtype,
                              amp_optim_wrapper)
from .non_finite_loss import (GuardedOptimWrapper, NonFiniteLossError,
                              NonFiniteLossGuard)

__all__ = [
    'BrokenDataHook', 'BrokenSampleError', 'ExactResumeHook',
    'GuardedOptimWrapper', 'MixedPrecisionOptimWrapper', 'NonFiniteLossError',
    'NonFiniteLossGuard', 'amp_dtype', 'amp_optim_wrapper'
]
