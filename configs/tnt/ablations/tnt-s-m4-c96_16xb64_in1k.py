# Paper Table 8: 4 words of width 96 per sentence (word conv stride 8): 25.1M,
# 6.0G, 81.1 top-1.
_base_ = '../tnt-s_16xb64_in1k.py'
model = dict(
    backbone=dict(
        inner_stride=8,
        arch=dict(
            _delete_=True,
            inner_dims=96,
            inner_heads=4,
            outer_dims=384,
            outer_heads=6,
            num_layers=12)))
