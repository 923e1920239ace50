"""What tools/train.py and tools/test.py share: config loading and environment fixes."""
import os
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, ROOT)


def load_config(path, cfg_options=None):
    """Config.fromfile with a clear message for a missing file or a bad --cfg-options key."""
    from mmengine.config import Config
    if not osp.isfile(path):
        raise SystemExit(f'error: config file {path!r} does not exist (configs are under '
                         f'{osp.join(ROOT, "configs")}).')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def setup_env(cfg, launcher):
    """Imports every registry the config may name and picks gloo when no GPU is visible."""
    import torch

    import mmtnt  # noqa: F401  (registers mmtnt.* and atomic checkpoint writes)
    scope = cfg.get('default_scope', 'mmpretrain')
    if scope not in ('mmpretrain', 'mmdet', 'mmseg'):
        raise SystemExit(f"error: default_scope={scope!r} in the config; mmtnt's tools run "
                         "'mmpretrain' (classification), 'mmdet' (detection) or 'mmseg' "
                         '(segmentation) configs.')
    if not torch.cuda.is_available():
        # NCCL needs GPUs; gloo runs the same collectives on CPU.
        cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
        if launcher != 'none':
            # mmengine's defaults assume one GPU per process: it calls cuda.set_device and
            # gives DDP device_ids=[LOCAL_RANK], which DDP refuses for CPU modules.
            torch.cuda.set_device = lambda *args, **kwargs: None
            cfg.setdefault('model_wrapper_cfg', dict(
                type='MMDistributedDataParallel', broadcast_buffers=False,
                find_unused_parameters=cfg.get('find_unused_parameters', False)))
    if launcher != 'none' and 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = '0'


def build_runner(cfg):
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)
