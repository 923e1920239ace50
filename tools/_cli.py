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
        check_pairs(loader, dataset, root)
    for loader in loaders:  # COCO-style metrics read the annotation file themselves
        key = loader.replace('_dataloader', '_evaluator')
        evaluators = cfg.get(key) or []
        for i, evaluator in enumerate(evaluators if isinstance(evaluators, list) else [evaluators]):
            ann = evaluator.get('ann_file') if isinstance(evaluator, dict) else None
            if ann and not osp.isfile(ann):
                name = f'{key}[{i}]' if isinstance(evaluators, list) else key
                raise SystemExit(f'error: {name}.ann_file {ann!r} does not exist; point it at '
                                 f"the split's annotation json (--cfg-options {name}.ann_file=...).")
    check_padding(cfg)


def check_pairs(loader, dataset, root):
    """Segmentation folders: every image needs a label file of the same name, and vice versa."""
    prefix = dataset.get('data_prefix')
    if not isinstance(prefix, dict) or not prefix.get('img_path') or not prefix.get('seg_map_path'):
        return
    img_dir, seg_dir = (osp.join(root, prefix[k]) for k in ('img_path', 'seg_map_path'))
    for d, key in ((img_dir, 'img_path'), (seg_dir, 'seg_map_path')):
        if not osp.isdir(d):
            raise SystemExit(f'error: {loader}.dataset.data_prefix.{key} folder {d!r} does not '
                             'exist (docs/dataset_prepare.md shows the layout).')
    img_suffix = dataset.get('img_suffix', '.jpg')
    seg_suffix = dataset.get('seg_map_suffix', '.png')
    images = {f[:-len(img_suffix)] for f in os.listdir(img_dir) if f.endswith(img_suffix)}
    labels = {f[:-len(seg_suffix)] for f in os.listdir(seg_dir) if f.endswith(seg_suffix)}
    for name in sorted(images - labels)[:1]:
        raise SystemExit(f'error: {osp.join(img_dir, name + img_suffix)} has no annotation '
                         f'{osp.join(seg_dir, name + seg_suffix)}; every image needs a label '
                         'map of the same name (or remove the image).')
    for name in sorted(labels - images)[:1]:
        raise SystemExit(f'error: {osp.join(seg_dir, name + seg_suffix)} has no image '
                         f'{osp.join(img_dir, name + img_suffix)}; remove the stray label map.')


def check_padding(cfg):
    """Detection batches must be padded to what TNT (and a halving pyramid) can cut exactly."""
    model = cfg.get('model') or {}
    backbone = model.get('backbone') or {}
    if cfg.get('default_scope') != 'mmdet' or not str(backbone.get('type', '')).endswith('TNT'):
        return  # classification and segmentation pipelines crop to fixed sizes
    need, why = backbone.get('patch_size', 16), 'TNT cuts images into {} px patches'
    why = why.format(need)
    necks = model.get('neck') or []
    for neck in necks if isinstance(necks, list) else [necks]:
        if str(neck.get('type', '')).endswith('TNTFeaturePyramid') and 0.5 in neck.get('scales', (0.5, )):
            need, why = need * 2, why + ' and TNTFeaturePyramid halves the patch grid'
    divisor = (model.get('data_preprocessor') or {}).get('pad_size_divisor', 1)
    if divisor % need:
        raise SystemExit(
            f'error: model.data_preprocessor.pad_size_divisor={divisor} cannot pad the images to '
            f'sizes this model can take: {why}, so every batch must be padded to a multiple of '
            f'{need}. Set pad_size_divisor={need} in the config (or --cfg-options '
            f'model.data_preprocessor.pad_size_divisor={need}).')


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
