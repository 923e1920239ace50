from .pyramid_tnt import PyramidTNT
from .tnt import TNT, PixelEmbed, TNTBlock

__all__ = ['TNT', 'TNTBlock', 'PixelEmbed', 'PyramidTNT']
