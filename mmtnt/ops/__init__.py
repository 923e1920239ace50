from .inner_transformer import (fused_inner_available, fused_inner_forward,
                                unavailable_reason)

__all__ = [
    'fused_inner_available', 'fused_inner_forward', 'unavailable_reason'
]
