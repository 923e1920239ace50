"""The per-sample checks of verify_dataset.py and of the training guard, on
real photographs written whole, cut short, converted and mislabelled, and the
guard (GuardedDataset) in-process: stop naming the file, or skip and count."""
from types import SimpleNamespace

import numpy as np
import pytest
import skimage.data
from PIL import Image

from mmtnt.datasets import check_annotation, check_image_file
from mmtnt.datasets.sample_checks import (pipeline_backend_args, read_ends,
                                          sample_files)
from mmtnt.engine.broken_data import BrokenSampleError, GuardedDataset


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp('samples')
    photo = Image.fromarray(skimage.data.astronaut())
    paths = {}
    for name, image, ext in (('rgb', photo, 'jpg'), ('png', photo, 'png'),
                             ('cmyk', photo.convert('CMYK'),
                              'jpg'), ('gray', photo.convert('L'), 'png')):
        paths[name] = str(root / f'{name}.{ext}')
        image.save(paths[name])
    for name in ('rgb', 'png'):  # cut short: the end marker is lost
        data = open(paths[name], 'rb').read()
        paths[f'short_{name}'] = str(root / f'short_{name}.{name}')
        open(paths[f'short_{name}'], 'wb').write(data[:len(data) // 2])
    paths['text'] = str(root / 'notes.jpg')
    open(paths['text'], 'w').write('not an image')
    paths['missing'] = str(root / 'missing.jpg')
    return paths


def test_image_checks(files):
    assert check_image_file(files['rgb']) == ([], [])
    assert check_image_file(files['png']) == ([], [])
    assert check_image_file(files['missing']) == (['file does not exist'], [])
    assert check_image_file(
        files['short_rgb'],
        decode=False) == (['truncated JPEG (no end-of-image marker)'], [])
    assert check_image_file(
        files['short_png'],
        decode=False) == (['truncated PNG (no IEND chunk)'], [])
    # decode=False reads only the ends of a file; decoding finds the rest
    assert check_image_file(files['text'], decode=False) == ([], [])
    errors, _ = check_image_file(files['text'])
    assert errors[0].startswith(
        'not a readable image (UnidentifiedImageError: ')
    assert check_image_file(
        files['cmyk']) == ([], ['CMYK JPEG: converted to RGB when loaded'])
    assert check_image_file(files['gray']) == ([], [
        'grayscale (L): its channel is repeated to RGB when loaded'
    ])


def test_image_checks_through_a_file_backend(files):
    """backend_args: whole files through mmengine's backends (here its local
    one, by name), the same answers as the partial local reads."""
    local = dict(backend='local')
    for name in ('rgb', 'png', 'short_rgb', 'short_png', 'missing', 'cmyk'):
        assert check_image_file(files[name], backend_args=local) == \
            check_image_file(files[name])
    head, tail, data = read_ends(files['rgb'], local)
    whole = open(files['rgb'], 'rb').read()
    assert (head, tail, data) == (whole[:8], whole[-1024:], whole)
    assert read_ends(files['rgb']) == (whole[:8], whole[-1024:], None)
    assert read_ends(files['missing'], local) is None
    assert read_ends(files['missing']) is None


def test_backend_args_of_a_built_datasets_loading_step():
    from mmengine.dataset import Compose
    from mmpretrain.datasets.transforms import LoadImageFromFile, ResizeEdge
    s3 = dict(backend='petrel')
    dataset = SimpleNamespace(
        pipeline=Compose(
            [ResizeEdge(scale=8),
             LoadImageFromFile(backend_args=s3)]))
    assert pipeline_backend_args(dataset) == s3
    dataset.pipeline = Compose([LoadImageFromFile()])
    assert pipeline_backend_args(dataset) is None
    assert pipeline_backend_args(SimpleNamespace()) is None


def test_annotation_checks():
    assert check_annotation({'gt_label': 3}, num_classes=4) == []
    assert check_annotation(
        {'gt_label': 4}, num_classes=4) == ['class label 4 is outside 0..3']
    assert check_annotation({'gt_label': np.array([1, -1])},
                            4) == ['class label -1 is outside 0..3']
    assert check_annotation({'gt_label': 9}) == []  # no class count known
    # a box without a label is class 0
    assert check_annotation({'instances': [{'bbox': (0, 0, 1, 1)}]}, 1) == []
    box = {
        'width':
        100,
        'height':
        50,
        'instances': [{
            'bbox': (10, 10, 100, 50),
            'bbox_label': 1
        }, {
            'bbox': (-0.04, 0, 20, 50.25),
            'bbox_label': 2
        }]
    }
    assert check_annotation(
        box, num_classes=2) == [
            'box label 2 is outside 0..1',
            'box [-0.0, 0, 20, 50.2] reaches outside the 100x50 image'
        ]
    assert sample_files({
        'img_path': 'a.jpg',
        'seg_map_path': 'a.png'
    }) == ['a.jpg', 'a.png']
    assert sample_files({
        'img_path': 'a.jpg',
        'seg_map_path': None
    }) == ['a.jpg']


class Records:
    """A dataset of records naming files; loading sample 3 fails."""

    metainfo = {'classes': ('a', 'b')}

    def __init__(self, records):
        self.records = records

    def __len__(self):
        return len(self.records)

    def get_data_info(self, i):
        return self.records[i]

    def __getitem__(self, i):
        if i == 3:
            raise ValueError('pipeline failed\nat the last step  \n')
        return i


@pytest.fixture
def records(files):
    return Records([
        {
            'img_path': files['rgb'],
            'gt_label': 0
        },
        {
            'img_path': files['short_rgb'],
            'gt_label': 1
        },
        {
            'img_path': files['rgb'],
            'gt_label': 2
        },
        {
            'img_path': files['rgb'],
            'gt_label': 1
        },
        {
            'img_path': files['rgb'],
            'gt_label': 1
        },
    ])


def test_guard_stops_naming_the_sample_file_and_reason(records, files):
    guarded = GuardedDataset(records)
    assert guarded[0] == 0 and guarded.num_classes == 2
    hint = ('tools/misc/verify_dataset.py CONFIG lists every broken file; to '
            'skip broken samples instead, set '
            'default_hooks.broken_data.skip=True.')
    for index, path, reason in (
        (1, files['short_rgb'], 'truncated JPEG (no end-of-image marker)'),
        (2, files['rgb'], 'class label 2 is outside 0..1'),
        (3, files['rgb'], 'ValueError: at the last step'),
    ):
        with pytest.raises(BrokenSampleError) as err:
            guarded[index]
        assert str(err.value) == (
            f'Records sample {index} ({path}): {reason}. {hint}')


def test_guard_skips_to_the_next_sample_and_counts(records):
    guarded = GuardedDataset(records, skip=True)
    assert guarded[1] == 4  # 1, 2 and 3 are broken
    assert guarded.skipped == 3
    assert guarded[4] == 4 and guarded.skipped == 3
    few = GuardedDataset(records, skip=True, max_skips=2)
    with pytest.raises(BrokenSampleError) as err:
        few[1]
    assert str(err.value).startswith(
        '2 broken samples in a row, the last Records sample 3 (')


@pytest.mark.parametrize('iter_based', [False, True])
def test_hook_guards_the_runners_training_loader(records, iter_based):
    from types import SimpleNamespace

    from torch.utils.data import DataLoader

    from mmtnt.engine.broken_data import BrokenDataHook

    class Iterator:  # what IterBasedTrainLoop keeps

        def __init__(self, loader):
            self.loader = loader

    loader = DataLoader(records, batch_size=1, collate_fn=lambda b: b[0])
    loop = SimpleNamespace(dataloader=loader)
    if iter_based:
        loop.dataloader_iterator = Iterator(loader)
    runner = SimpleNamespace(train_loop=loop)
    BrokenDataHook(skip=True).before_train(runner)
    guarded = loop.dataloader
    assert isinstance(guarded.dataset, GuardedDataset)
    assert guarded.dataset.skip and guarded.dataset.dataset is records
    assert list(guarded) == [0, 4, 4, 4, 4]  # 1-3 broken, skipped
    if iter_based:
        assert type(loop.dataloader_iterator) is Iterator
        assert loop.dataloader_iterator.loader is guarded
    BrokenDataHook().before_train(runner)
    with pytest.raises(BrokenSampleError):
        list(loop.dataloader)
