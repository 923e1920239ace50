from .attention import Attention
from .mlp import Mlp
from .se import SE
from .sr_attention import SRAttention

__all__ = ['Attention', 'Mlp', 'SE', 'SRAttention']
