# PyramidTNT-B (157.0M params, 16.0 GMACs at 256, 84.1 top-1). Drop path 0.3 is
# our choice (the official command is for S only), as Swin and PVTv2 raise it
# with depth.
_base_ = './pyramid-tnt-s_8xb128_in1k.py'

model = dict(
    backbone=dict(arch='b', drop_path_rate=0.3), head=dict(in_channels=1024))
