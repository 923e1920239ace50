# mmpretrain's runtime: loggers, checkpoints, visualiser. Tasks override
# default_scope.
default_scope = 'mmpretrain'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=100),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # mmtnt_atomic: written to a temporary file and renamed, so a killed run
    # never leaves a truncated checkpoint (mmtnt/fileio.py).
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        max_keep_ckpts=3,
        save_best='auto',
        backend_args=dict(backend='mmtnt_atomic')),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
    # Augmentation and dropout drawn from (seed, position): --resume ends where
    # an uninterrupted run ends (mmtnt/engine/exact_resume.py).
    exact_resume=dict(type='mmtnt.ExactResumeHook'),
    # A broken image or label stops the run naming the file (skip=True: skipped
    # and counted); a NaN/inf loss stops it before the weights change
    # (skip=True: the step is skipped).
    broken_data=dict(type='mmtnt.BrokenDataHook', skip=False),
    non_finite_loss=dict(type='mmtnt.NonFiniteLossHook', skip=False),
)

# TF32 for float32 matmuls and convolutions on Ampere and newer GPUs (10-bit
# mantissa products, several times float32's speed; docs/reliability.md).
# False: full float32. No effect on CPU or V100.
tf32 = True
env_cfg = dict(
    # classification inputs have one fixed size: cuDNN picks its fastest
    # kernels once (GPU only; mmdet's and mmseg's runtimes keep it off)
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py switches to gloo when no GPU is visible.
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=None, deterministic=False)
