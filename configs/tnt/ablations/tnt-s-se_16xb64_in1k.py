# Paper Table 12: TNT-S with an SE module on every block's outer MLP: 24.7M,
# 5.2G, 81.7 top-1.
_base_ = '../tnt-s_16xb64_in1k.py'
model = dict(backbone=dict(with_se=True))
