from .inner_transformer import (InnerWeights, fused_inner_available,
                                fused_inner_transformer, unavailable_reason)

__all__ = [
    'InnerWeights', 'fused_inner_available', 'fused_inner_transformer',
    'unavailable_reason'
]
