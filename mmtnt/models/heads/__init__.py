from .tnt_cls_head import TNTClsHead
from .trans2seg_head import Trans2SegDecoderLayer, Trans2SegHead

__all__ = ['TNTClsHead', 'Trans2SegHead', 'Trans2SegDecoderLayer']
