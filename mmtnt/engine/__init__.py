from .broken_data import BrokenDataHook, BrokenSampleError
from .exact_resume import ExactResumeHook
from .non_finite_loss import NonFiniteLossError, NonFiniteLossHook

__all__ = [
    'BrokenDataHook', 'BrokenSampleError', 'ExactResumeHook',
    'NonFiniteLossError', 'NonFiniteLossHook'
]
