# Paper Table 8: 64 words of width 6 per sentence (word conv stride 2): 23.8M,
# 5.1G, 81.0 top-1. The paper does not give the inner heads for c=6; 2 heads of
# width 3 (4 do not divide 6).
_base_ = '../tnt-s_16xb64_in1k.py'
model = dict(
    backbone=dict(
        inner_stride=2,
        arch=dict(
            _delete_=True,
            inner_dims=6,
            inner_heads=2,
            outer_dims=384,
            outer_heads=6,
            num_layers=12)))
