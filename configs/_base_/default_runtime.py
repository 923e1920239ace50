# mmpretrain's runtime (loggers, checkpoints, visualiser) with mmtnt's hooks.
# _scope_='mmpretrain': built in mmpretrain's registries also where a config
# inherits this one through mmtnt:: (docs/registry.md).
_base_ = './mmtnt_hooks.py'
default_scope = 'mmpretrain'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=100),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        save_best='auto',
        **_base_.mmtnt_hooks.checkpoint),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(
        _scope_='mmpretrain', type='VisualizationHook', enable=False),
    exact_resume=_base_.mmtnt_hooks.exact_resume,
    broken_data=_base_.mmtnt_hooks.broken_data,
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
visualizer = dict(
    _scope_='mmpretrain',
    type='UniversalVisualizer',
    vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=None, deterministic=False)
