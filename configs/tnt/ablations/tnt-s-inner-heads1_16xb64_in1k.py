# Paper Table 7: TNT-S with 1 inner attention head(s) (default 4: 81.5). 81.0
# top-1.
_base_ = '../tnt-s_16xb64_in1k.py'
model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True,
            inner_dims=24,
            inner_heads=1,
            outer_dims=384,
            outer_heads=6,
            num_layers=12)))
