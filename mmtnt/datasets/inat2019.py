"""iNaturalist 2019 in its released layout (paper Table 9's iNat-19)."""
import json
import os.path as osp

from mmpretrain.datasets import BaseDataset

from mmtnt.registry import DATASETS


@DATASETS.register_module()
class INat2019(BaseDataset):
    """iNaturalist 2019 from its own json files; mmpretrain has no iNaturalist
    dataset.

    Layout as downloaded::

        data/inat2019 ├── train_val2019/<kingdom>/<category id>/<image>.jpg ├──
        train2019.json └── val2019.json

    The json files are COCO-like: ``images`` (``id``, ``file_name`` relative to
    the root), ``annotations`` (``image_id``, ``category_id``) and
    ``categories`` (``id``, ``name``). Category ids are the labels (0..1009 in
    the release).

    Args:
        ann_file (str): ``train2019.json`` or ``val2019.json`` (relative to
            ``data_root``).
        data_root (str): Dataset root. Defaults to ''.
        **kwargs: Passed to :class:`mmpretrain.datasets.BaseDataset`
            (``pipeline``, ``test_mode`` ...).
    """

    def __init__(self, ann_file, data_root='', **kwargs):
        super().__init__(ann_file=ann_file, data_root=data_root, **kwargs)

    def load_data_list(self):
        with open(self.ann_file) as f:
            ann = json.load(f)
        missing = {'images', 'annotations', 'categories'} - set(ann)
        if missing:
            raise ValueError(
                f'{self.ann_file}: not an iNaturalist json, it lacks {sorted(missing)}.'  # noqa: E501
            )
        categories = sorted(ann['categories'], key=lambda c: c['id'])
        ids = [c['id'] for c in categories]
        if ids != list(range(len(ids))):
            raise ValueError(
                f'{self.ann_file}: category ids must be 0..{len(ids) - 1} as in the iNaturalist 2019 release.'  # noqa: E501
            )
        if not self._metainfo.get('classes'):
            self._metainfo['classes'] = tuple(c['name'] for c in categories)
        labels = {a['image_id']: a['category_id'] for a in ann['annotations']}
        data_list = []
        for img in ann['images']:
            if img['id'] not in labels:
                raise ValueError(
                    f'{self.ann_file}: image {img["file_name"]} has no annotation.'  # noqa: E501
                )
            data_list.append(
                dict(
                    img_path=osp.join(self.data_root, img['file_name']),
                    gt_label=int(labels[img['id']])))
        return data_list
