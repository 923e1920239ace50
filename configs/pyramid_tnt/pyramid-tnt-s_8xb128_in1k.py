# PyramidTNT-S on ImageNet-1k with the official recipe (82.0 top-1 at 256):
#     tools/dist_train.sh configs/pyramid_tnt/pyramid-tnt-s_8xb128_in1k.py 8
# The lr (1e-3 at a total batch of 1024) is scaled to the real total batch
# with --auto-scale-lr.
_base_ = [
    '../_base_/models/pyramid_tnt_s.py',
    '../_base_/datasets/imagenet_bs128_pyramid_tnt_256.py',
    '../_base_/schedules/imagenet_bs1024_adamw_pyramid_tnt.py',
    '../_base_/default_runtime.py',
]
