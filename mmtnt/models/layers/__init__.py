from .attention import Attention
from .grid import pad_to_multiple, resize_grid_embed
from .mlp import Mlp
from .se import SE
from .sr_attention import SRAttention

__all__ = [
    'Attention', 'pad_to_multiple', 'resize_grid_embed', 'Mlp', 'SE',
    'SRAttention'
]
