# TNT-S on ImageNet-1k with the paper's recipe (81.5 top-1);
# configs/tnt/tnt-s_16xb64_in1k.py in mmengine's lazy-import format, for
# other toolboxes' tools (docs/registry.md):
#     mim train mmpretrain my_config.py
# where my_config.py starts with
#     with read_base():
#         from mmtnt.configs.tnt.tnt_s_16xb64_in1k import *
from mmengine.config import read_base

with read_base():
    from .._base_.datasets.imagenet_bs64_tnt_224 import *
    from .._base_.default_runtime import *
    from .._base_.models.tnt_s_p16 import *
    from .._base_.schedules.imagenet_bs1024_adamw_tnt import *
