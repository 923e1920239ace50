# TNT-Ti (paper Table 1: 6.1M params, 1.4 GFLOPs, 73.9 top-1).
_base_ = './tnt-s_16xb64_in1k.py'

model = dict(backbone=dict(arch='ti'), head=dict(in_channels=192))
