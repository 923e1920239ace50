# TNT-B (paper Table 1); configs/tnt/tnt-b_16xb64_in1k.py in mmengine's
# lazy-import format (docs/registry.md).
from mmengine.config import read_base

with read_base():
    from .tnt_s_16xb64_in1k import *

model.merge(dict(backbone=dict(arch='b'), head=dict(in_channels=640)))
