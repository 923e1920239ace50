from .tnt import TNT, TNTBlock, PixelEmbed

__all__ = ['TNT', 'TNTBlock', 'PixelEmbed']
