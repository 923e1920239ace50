"""Checks of a config's data before a run starts: missing folders and files,
unpaired labels, padding a detector cannot take."""
import os
import os.path as osp

from mmengine import fileio

from .errors import DataError


def dataset_backend_args(dataset):
    """The ``backend_args`` a dataset config reads its files with: its own, or
    its image loading step's (None: local files)."""
    if dataset.get('backend_args'):
        return dataset['backend_args']
    for step in dataset.get('pipeline') or []:
        if isinstance(step, dict) and step.get('backend_args'):
            return step['backend_args']
    return None


def check_data(cfg, loaders):
    """Raise :class:`DataError`, naming the key, when a dataloader's data_root
    or ann_file is missing (or a check below fails)."""
    for loader in loaders:
        dataset = (cfg.get(loader) or {}).get('dataset')
        while isinstance(
                dataset,
                dict) and 'dataset' in dataset:  # wrappers (RepeatDataset...)
            dataset = dataset['dataset']
        if not isinstance(dataset, dict):
            continue
        root = dataset.get('data_root') or ''
        backend_args = dataset_backend_args(dataset)
        if root and not fileio.isdir(root, backend_args=backend_args):
            raise DataError(
                f'{loader}.dataset.data_root={root!r} does not exist. Prepare the dataset (docs/dataset_prepare.md) or point to it with --cfg-options {loader}.dataset.data_root=/path/to/data'  # noqa: E501
            )
        ann = dataset.get('ann_file') or ''
        path = osp.join(root, ann) if ann and not osp.isabs(ann) else ann
        if ann and not fileio.isfile(path, backend_args=backend_args):
            raise DataError(
                f'{loader}.dataset.ann_file {path!r} does not exist (data_root={root!r}, ann_file={ann!r}).'  # noqa: E501
            )
        if not backend_args:  # lists local folders
            check_pairs(loader, dataset, root)
    # COCO-style metrics read the annotation file themselves
    for loader in loaders:
        key = loader.replace('_dataloader', '_evaluator')
        evaluators = cfg.get(key) or []
        for i, evaluator in enumerate(
                evaluators if isinstance(evaluators, list) else [evaluators]):
            ann = evaluator.get('ann_file') if isinstance(evaluator,
                                                          dict) else None
            if ann and not osp.isfile(ann):
                name = f'{key}[{i}]' if isinstance(evaluators, list) else key
                raise DataError(
                    f"{name}.ann_file {ann!r} does not exist; point it at the split's annotation json (--cfg-options {name}.ann_file=...)."  # noqa: E501
                )
    check_padding(cfg)


def check_pairs(loader, dataset, root):
    """Segmentation folders: every image needs a label file of the same name,
    and vice versa.
    """
    prefix = dataset.get('data_prefix')
    if not isinstance(prefix, dict) or not prefix.get(
            'img_path') or not prefix.get('seg_map_path'):
        return
    img_dir, seg_dir = (
        osp.join(root, prefix[k]) for k in ('img_path', 'seg_map_path'))
    for d, key in ((img_dir, 'img_path'), (seg_dir, 'seg_map_path')):
        if not osp.isdir(d):
            raise DataError(
                f'{loader}.dataset.data_prefix.{key} folder {d!r} does not exist (docs/dataset_prepare.md shows the layout).'  # noqa: E501
            )
    img_suffix = dataset.get('img_suffix', '.jpg')
    seg_suffix = dataset.get('seg_map_suffix', '.png')
    images = {
        f[:-len(img_suffix)]
        for f in os.listdir(img_dir) if f.endswith(img_suffix)
    }
    labels = {
        f[:-len(seg_suffix)]
        for f in os.listdir(seg_dir) if f.endswith(seg_suffix)
    }
    for name in sorted(images - labels)[:1]:
        raise DataError(
            f'{osp.join(img_dir, name + img_suffix)} has no annotation {osp.join(seg_dir, name + seg_suffix)}; every image needs a label map of the same name (or remove the image).'  # noqa: E501
        )
    for name in sorted(labels - images)[:1]:
        raise DataError(
            f'{osp.join(seg_dir, name + seg_suffix)} has no image {osp.join(img_dir, name + img_suffix)}; remove the stray label map.'  # noqa: E501
        )


def check_padding(cfg):
    """Detection batches must be padded to what a pyramid that halves TNT's
    grid can take.
    """
    model = cfg.get('model') or {}
    backbone = model.get('backbone') or {}
    if cfg.get('default_scope') != 'mmdet' or not str(
            backbone.get('type', '')).endswith('TNT'):
        return  # classification and segmentation pipelines crop to fixed sizes
    # TNT pads any size to whole patches; a pyramid that halves the patch grid
    # needs it even.
    need = 2 * backbone.get('patch_size', 16)
    why = f"TNT's patch grid ({need // 2} px patches) is halved by TNTFeaturePyramid, so it must be even"  # noqa: E501
    necks = model.get('neck') or []
    if not any(
            str(neck.get('type', '')).endswith('TNTFeaturePyramid')
            and 0.5 in neck.get('scales', (0.5, ))
            for neck in (necks if isinstance(necks, list) else [necks])):
        return
    divisor = (model.get('data_preprocessor') or {}).get('pad_size_divisor', 1)
    if divisor % need:
        raise DataError(
            f'model.data_preprocessor.pad_size_divisor={divisor} cannot pad the images to sizes this model can take: {why}, so every batch must be padded to a multiple of {need}. Set pad_size_divisor={need} in the config (or --cfg-options model.data_preprocessor.pad_size_divisor={need}).'  # noqa: E501
        )
