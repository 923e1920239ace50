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
                type='MMDistributedDataParallel', device_ids=None, broadcast_buffers=False,
                find_unused_parameters=cfg.get('find_unused_parameters', False)))
    if launcher != 'none' and 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = '0'


def check_data(cfg, loaders):
    """Stop early, naming the key, when a dataloader's data_root or ann_file is missing."""
    for loader in loaders:
        dataset = (cfg.get(loader) or {}).get('dataset')
        while isinstance(dataset, dict) and 'dataset' in dataset:  # wrappers (RepeatDataset...)
            dataset = dataset['dataset']
        if not isinstance(dataset, dict):
            continue
        root = dataset.get('data_root') or ''
        if root and not osp.isdir(root):
            raise SystemExit(
                f'error: {loader}.dataset.data_root={root!r} does not exist. Prepare the dataset '
                f'(docs/dataset_prepare.md) or point to it with --cfg-options '
                f'{loader}.dataset.data_root=/path/to/data')
        ann = dataset.get('ann_file') or ''
        path = osp.join(root, ann) if ann and not osp.isabs(ann) else ann
        if ann and not osp.isfile(path):
            raise SystemExit(f'error: {loader}.dataset.ann_file {path!r} does not exist '
                             f'(data_root={root!r}, ann_file={ann!r}).')


def run(runner_call, checkpoint_hint=''):
    """Turn a checkpoint that does not fit the model into one clear line instead of a traceback."""
    from mmtnt.checkpoint import CheckpointFormatError
    try:
        return runner_call()
    except CheckpointFormatError as err:
        raise SystemExit(f'error: {checkpoint_hint}{err}')


def build_runner(cfg):
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)
