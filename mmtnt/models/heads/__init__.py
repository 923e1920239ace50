from .tnt_cls_head import TNTClsHead

__all__ = ['TNTClsHead']
