from .attention import Attention
from .mlp import Mlp
from .se import SE

__all__ = ['Attention', 'Mlp', 'SE']
