"""mmtnt.datasets.INat2019 on json files in the release's own format (COCO-like
images / annotations / categories) beside real photographs."""
import json
import os
import os.path as osp

import numpy as np
import pytest
import skimage.data
from PIL import Image

from mmtnt.datasets import INat2019

CATEGORIES = [
    dict(id=2, name='Felis catus', kingdom='Animalia'),
    dict(id=0, name='Homo sapiens', kingdom='Animalia'),
    dict(id=1, name='Coffea arabica', kingdom='Plantae'),
]
PHOTOS = (('chelsea', 'Animalia/2'), ('astronaut', 'Animalia/0'),
          ('coffee', 'Plantae/1'))


def write_release(root, images=None, annotations=None, categories=None):
    """train2019.json (and the photos under train_val2019/) in ``root``."""
    if images is None:
        images, annotations = [], []
        for i, (photo, folder) in enumerate(PHOTOS):
            name = f'train_val2019/{folder}/{photo}.jpg'
            path = osp.join(root, name)
            if not osp.isfile(path):
                Image.fromarray(getattr(skimage.data, photo)()).resize(
                    (64, 48)).save(_mkdir(path))
            images.append(
                dict(id=100 + i, file_name=name, width=64, height=48))
            annotations.append(
                dict(id=i, image_id=100 + i, category_id=int(folder[-1])))
    ann = dict(
        info={},
        images=images,
        annotations=annotations,
        categories=CATEGORIES if categories is None else categories)
    with open(osp.join(root, 'train2019.json'), 'w') as f:
        json.dump(ann, f)
    return str(root)


def _mkdir(path):
    os.makedirs(osp.dirname(path), exist_ok=True)
    return path


def test_images_labels_and_classes_in_category_id_order(tmp_path):
    root = write_release(tmp_path)
    dataset = INat2019(
        ann_file='train2019.json',
        data_root=root,
        pipeline=[dict(type='mmpretrain.LoadImageFromFile')])
    assert dataset.CLASSES == ('Homo sapiens', 'Coffea arabica', 'Felis catus')
    assert len(dataset) == 3
    assert [dataset.get_data_info(i)['gt_label']
            for i in range(3)] == [2, 0, 1]
    sample = dataset[1]
    assert sample['img_path'] == osp.join(
        root, 'train_val2019/Animalia/0/astronaut.jpg')
    assert sample['img'].shape == (48, 64, 3)
    photo = np.asarray(Image.open(sample['img_path']))[..., ::-1]  # BGR
    np.testing.assert_array_equal(sample['img'], photo)


def test_classes_given_in_metainfo_are_kept(tmp_path):
    root = write_release(tmp_path)
    dataset = INat2019(
        ann_file='train2019.json',
        data_root=root,
        metainfo=dict(classes=('a', 'b', 'c')))
    assert dataset.CLASSES == ('a', 'b', 'c')


@pytest.mark.parametrize('kwargs,fact', [
    (dict(categories=[dict(id=0, name='a'),
                      dict(id=2, name='b')]), r'category ids must be 0\.\.1'),
    (dict(
        images=[dict(id=7, file_name='train_val2019/x/1/y.jpg')],
        annotations=[]), 'image train_val2019/x/1/y.jpg has no annotation'),
])
def test_bad_annotation_files_are_refused_naming_file_and_fact(
        tmp_path, kwargs, fact):
    root = write_release(tmp_path, **kwargs)
    with pytest.raises(ValueError, match=fact) as err:
        INat2019(ann_file='train2019.json', data_root=root)
    assert osp.join(root, 'train2019.json') in str(err.value)


def test_a_json_that_is_not_inaturalist_names_the_missing_keys(tmp_path):
    with open(tmp_path / 'train2019.json', 'w') as f:
        json.dump(dict(images=[]), f)
    with pytest.raises(
            ValueError, match=r"lacks \['annotations', 'categories'\]"):
        INat2019(ann_file='train2019.json', data_root=str(tmp_path))
