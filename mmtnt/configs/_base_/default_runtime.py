# mmpretrain's runtime with mmtnt's hooks; configs/_base_/default_runtime.py
# and mmtnt_hooks.py in mmengine's lazy-import format (docs/registry.md).
from mmengine.hooks import (CheckpointHook, DistSamplerSeedHook, IterTimerHook,
                            LoggerHook, ParamSchedulerHook)
from mmengine.visualization import LocalVisBackend
from mmpretrain.engine.hooks import VisualizationHook
from mmpretrain.visualization import UniversalVisualizer

from mmtnt.engine import BrokenDataHook, ExactResumeHook

default_scope = 'mmpretrain'

default_hooks = dict(
    timer=dict(type=IterTimerHook),
    logger=dict(type=LoggerHook, interval=100),
    param_scheduler=dict(type=ParamSchedulerHook),
    checkpoint=dict(
        type=CheckpointHook,
        interval=1,
        save_best='auto',
        max_keep_ckpts=3,
        backend_args=dict(backend='mmtnt_atomic')),
    sampler_seed=dict(type=DistSamplerSeedHook),
    visualization=dict(type=VisualizationHook, enable=False),
    exact_resume=dict(type=ExactResumeHook),
    broken_data=dict(type=BrokenDataHook, skip=False),
)

tf32 = True
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type=LocalVisBackend)]
visualizer = dict(type=UniversalVisualizer, vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=None, deterministic=False)
