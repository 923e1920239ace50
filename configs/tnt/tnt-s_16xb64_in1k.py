# TNT-S on ImageNet-1k with the paper's recipe (81.5 top-1):
#     tools/dist_train.sh configs/tnt/tnt-s_16xb64_in1k.py 8
# The lr (1e-3 at a total batch of 1024) is scaled to GPUs x 64 automatically
# (auto_scale_lr).
_base_ = [
    '../_base_/models/tnt_s_p16.py',
    '../_base_/datasets/imagenet_bs64_tnt_224.py',
    '../_base_/schedules/imagenet_bs1024_adamw_tnt.py',
    '../_base_/default_runtime.py',
]
