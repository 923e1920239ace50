# Paper Table 5: TNT-S-2, inner transformer only in blocks 1, 6, 12 (1-based);
# the others are plain transformer blocks. 4.7G FLOPs, 81.3 top-1 (TNT-S: 5.2G,
# 81.5).
_base_ = '../tnt-s_16xb64_in1k.py'
model = dict(backbone=dict(inner_block_indices=[0, 5, 11]))
