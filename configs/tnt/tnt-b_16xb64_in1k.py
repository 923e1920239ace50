# TNT-B (paper Table 1: 65.6M params, 14.1 GFLOPs, 82.9 top-1).
_base_ = './tnt-s_16xb64_in1k.py'

model = dict(backbone=dict(arch='b'), head=dict(in_channels=640))
