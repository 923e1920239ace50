from .attention import Attention
from .grid import adaptive_avg_pool, pad_to_multiple, resize_grid_embed
from .mlp import Mlp
from .se import SE
from .sr_attention import SRAttention

__all__ = [
    'adaptive_avg_pool', 'Attention', 'pad_to_multiple', 'resize_grid_embed',
    'Mlp', 'SE', 'SRAttention'
]
