# Paper Table 5: TNT-S-1, inner transformer only in blocks 1, 4, 8, 12
# (1-based); the others are plain transformer blocks. 4.8G FLOPs, 81.4 top-1
# (TNT-S: 5.2G, 81.5).
_base_ = '../tnt-s_16xb64_in1k.py'
model = dict(backbone=dict(inner_block_indices=[0, 3, 7, 11]))
