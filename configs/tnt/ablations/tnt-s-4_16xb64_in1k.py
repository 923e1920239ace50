# Paper Table 5: TNT-S-4, inner transformer only in blocks 1 (1-based); the
# others are plain transformer blocks. 4.6G FLOPs, 80.8 top-1 (TNT-S: 5.2G,
# 81.5).
_base_ = '../tnt-s_16xb64_in1k.py'
model = dict(backbone=dict(inner_block_indices=[0]))
