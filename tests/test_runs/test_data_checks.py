"""mmtnt.runs.check_data: what a run refuses before it starts, on configs
written here and folders in the datasets' layouts."""
import os

import pytest
from mmengine.config import Config

from mmtnt.runs import DataError, check_data
from mmtnt.runs.data_checks import check_padding, dataset_backend_args


def loader(**dataset):
    return dict(dataset=dataset)


def test_missing_data_root_names_the_loader_key_and_the_option(tmp_path):
    missing = str(tmp_path / 'imagenet')
    cfg = Config(dict(val_dataloader=loader(data_root=missing)))
    with pytest.raises(DataError) as err:
        check_data(cfg, ['train_dataloader', 'val_dataloader'])
    message = str(err.value)
    assert message.startswith(f"val_dataloader.dataset.data_root='{missing}'")
    assert '--cfg-options val_dataloader.dataset.data_root=' in message


def test_wrapped_datasets_are_checked(tmp_path):
    inner = dict(data_root=str(tmp_path / 'nowhere'))
    cfg = Config(
        dict(
            train_dataloader=dict(
                dataset=dict(type='RepeatDataset', times=2, dataset=inner))))
    with pytest.raises(DataError, match='train_dataloader.dataset.data_root'):
        check_data(cfg, ['train_dataloader'])


def test_ann_file_is_looked_up_under_data_root_unless_absolute(tmp_path):
    (tmp_path / 'meta').mkdir()
    (tmp_path / 'meta' / 'val.txt').write_text('a.jpg 0\n')
    ok = Config(
        dict(
            val_dataloader=loader(
                data_root=str(tmp_path), ann_file='meta/val.txt')))
    check_data(ok, ['val_dataloader'])
    absolute = Config(
        dict(
            val_dataloader=loader(
                data_root='', ann_file=str(tmp_path / 'meta' / 'val.txt'))))
    check_data(absolute, ['val_dataloader'])
    missing = Config(
        dict(
            val_dataloader=loader(
                data_root=str(tmp_path), ann_file='meta/train.txt')))
    with pytest.raises(DataError) as err:
        check_data(missing, ['val_dataloader'])
    assert str(tmp_path / 'meta' / 'train.txt') in str(err.value)
    assert "ann_file='meta/train.txt'" in str(err.value)


def test_only_the_named_loaders_are_checked(tmp_path):
    cfg = Config(
        dict(
            train_dataloader=loader(data_root=str(tmp_path / 'no')),
            test_dataloader=None))
    check_data(cfg, ['val_dataloader', 'test_dataloader'])


def segmentation(tmp_path, images, labels, **extra):
    for folder, names, suffix in (('img', images, '.jpg'), ('ann', labels,
                                                            '.png')):
        (tmp_path / folder).mkdir(exist_ok=True)
        for name in names:
            (tmp_path / folder /
             (name + extra.get(f'{folder}_suffix', suffix))).write_bytes(b'')
    dataset = dict(
        data_root=str(tmp_path),
        data_prefix=dict(img_path='img', seg_map_path='ann'))
    if 'img_suffix' in extra:
        dataset.update(img_suffix=extra['img_suffix'])
    if 'ann_suffix' in extra:
        dataset.update(seg_map_suffix=extra['ann_suffix'])
    return Config(dict(train_dataloader=loader(**dataset)))


def test_segmentation_images_and_label_maps_must_pair(tmp_path):
    check_data(
        segmentation(tmp_path, ['a', 'b'], ['a', 'b']), ['train_dataloader'])
    with pytest.raises(DataError) as err:
        check_data(
            segmentation(tmp_path, ['a', 'b', 'c'], ['a', 'b']),
            ['train_dataloader'])
    assert str(err.value).startswith(
        f"{tmp_path / 'img' / 'c.jpg'} has no annotation "
        f"{tmp_path / 'ann' / 'c.png'}")
    os.remove(tmp_path / 'img' / 'c.jpg')
    (tmp_path / 'ann' / 'd.png').write_bytes(b'')
    with pytest.raises(DataError) as err:
        check_data(
            segmentation(tmp_path, ['a', 'b'], ['a', 'b', 'd']),
            ['train_dataloader'])
    assert str(err.value).startswith(
        f"{tmp_path / 'ann' / 'd.png'} has no image "
        f"{tmp_path / 'img' / 'd.jpg'}")


def test_segmentation_suffixes_come_from_the_dataset(tmp_path):
    cfg = segmentation(
        tmp_path, ['a'], ['a'], img_suffix='.png', ann_suffix='_label.png')
    check_data(cfg, ['train_dataloader'])
    (tmp_path / 'img' / 'b.png').write_bytes(b'')
    with pytest.raises(DataError, match='b_label.png'):
        check_data(cfg, ['train_dataloader'])


def test_a_missing_segmentation_folder_is_named(tmp_path):
    (tmp_path / 'img').mkdir()
    cfg = Config(
        dict(
            train_dataloader=loader(
                data_root=str(tmp_path),
                data_prefix=dict(img_path='img', seg_map_path='ann'))))
    with pytest.raises(DataError) as err:
        check_data(cfg, ['train_dataloader'])
    assert 'train_dataloader.dataset.data_prefix.seg_map_path folder ' \
        f"'{tmp_path / 'ann'}' does not exist" in str(err.value)


@pytest.mark.parametrize('evaluator,name', [
    (dict(type='CocoMetric'), 'val_evaluator'),
    ([dict(type='Accuracy'), dict(type='CocoMetric')], 'val_evaluator[1]'),
])
def test_an_evaluators_missing_annotation_file_is_named(
        tmp_path, evaluator, name):
    missing = str(tmp_path / 'instances_val2017.json')
    if isinstance(evaluator, list):
        evaluator[1]['ann_file'] = missing
    else:
        evaluator['ann_file'] = missing
    cfg = Config(dict(val_evaluator=evaluator))
    with pytest.raises(DataError) as err:
        check_data(cfg, ['val_dataloader'])
    assert str(err.value).startswith(f"{name}.ann_file '{missing}'")
    assert f'--cfg-options {name}.ann_file=' in str(err.value)
    (tmp_path / 'instances_val2017.json').write_text('{}')
    check_data(cfg, ['val_dataloader'])


def detector(divisor, patch_size=16, scales=(2.0, 1.0, 0.5), scope='mmdet'):
    return Config(
        dict(
            default_scope=scope,
            model=dict(
                backbone=dict(type='mmtnt.TNT', patch_size=patch_size),
                neck=[dict(type='mmtnt.TNTFeaturePyramid', scales=scales)],
                data_preprocessor=dict(pad_size_divisor=divisor))))


@pytest.mark.parametrize('divisor,patch_size,refused', [(16, 16, True),
                                                        (32, 16, False),
                                                        (64, 16, False),
                                                        (8, 8, True),
                                                        (16, 8, False)])
def test_detection_padding_must_keep_the_halved_grid_whole(
        divisor, patch_size, refused):
    cfg = detector(divisor, patch_size)
    if not refused:
        check_padding(cfg)
        return
    need = 2 * patch_size
    with pytest.raises(DataError) as err:
        check_padding(cfg)
    assert str(err.value).startswith(
        f'model.data_preprocessor.pad_size_divisor={divisor} ')
    assert f'--cfg-options model.data_preprocessor.pad_size_divisor={need}' \
        in str(err.value)
    assert f'({patch_size} px patches)' in str(err.value)


def test_padding_is_left_alone_without_a_halving_pyramid_or_outside_mmdet():
    check_padding(detector(16, scales=(2.0, 1.0)))
    check_padding(detector(16, scope='mmpretrain'))
    cfg = detector(16)
    cfg.model.backbone.type = 'ResNet'
    check_padding(cfg)
    cfg = detector(16)
    cfg.model.neck = dict(type='mmtnt.TNTFeaturePyramid')  # default 0.5 too
    with pytest.raises(DataError):
        check_padding(cfg)
    cfg = detector(1)
    cfg.model.data_preprocessor = {}  # mmdet's default divisor is 1
    with pytest.raises(DataError, match='pad_size_divisor=1 '):
        check_padding(cfg)


def test_backend_args_of_the_dataset_or_its_loading_step():
    s3 = dict(backend='petrel')
    assert dataset_backend_args(dict(backend_args=s3)) == s3
    assert dataset_backend_args(
        dict(pipeline=[
            dict(type='Resize'),
            dict(type='LoadImageFromFile', backend_args=s3)
        ])) == s3
    assert dataset_backend_args(dict(pipeline=[dict(type='Resize')])) is None
