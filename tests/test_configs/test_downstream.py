"""A user's own project, outside the checkout, inherits ``mmpretrain::``,
``mmtnt::``, ``mmdet::`` and ``mmseg::`` configs, and mmtnt's lazy-import
config, with mmtnt's TNT swapped in. Each config trains with mmtnt's
tools/train.py, with ``mim train mmtnt`` or (the lazy-import one) with ``mim
train mmpretrain``, is tested with ``mim test mmtnt``, and its checkpoint runs
in the toolbox's own inference API (the config read by mmengine's
Config.fromfile) on a photograph of odd size."""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tests.helpers import ROOT, detection_data

pytestmark = pytest.mark.slow  # end-to-end runs of the tools

CLASSIFIER_DATA = '''
data_preprocessor = dict(num_classes=2)
data_root = {data!r}
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root))
val_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator
train_cfg = dict(max_epochs=1)
default_hooks = dict(logger=dict(interval=1))
'''

DETECTOR_DATA = '{detector_data}'  # tests.helpers.detection_data

PROJECT = {
    # mmpretrain's own TNT config, its backbone replaced by mmtnt's.
    'cls_from_mmpretrain.py':
    '''
_base_ = 'mmpretrain::tnt/tnt-s-p16_16xb64_in1k.py'
model = dict(backbone=dict(_delete_=True, type='mmtnt.TNT', arch='ti'),
             head=dict(num_classes=2, in_channels=192))
''' + CLASSIFIER_DATA,
    # mmtnt's own ImageNet recipe, made smaller.
    'cls_from_mmtnt.py':
    '''
_base_ = 'mmtnt::tnt/tnt-s_16xb64_in1k.py'
model = dict(backbone=dict(arch='ti'),
             head=dict(num_classes=2, in_channels=192))
''' + CLASSIFIER_DATA,
    # mmtnt's ImageNet recipe in mmengine's lazy-import format, which other
    # toolboxes' tools read without importing mmtnt first (`mim train
    # mmpretrain`); each setting that changes is merged by hand.
    'cls_lazy_from_mmtnt.py':
    '''
from mmengine.config import read_base

with read_base():
    from mmtnt.configs.tnt.tnt_s_16xb64_in1k import *

model.merge(dict(backbone=dict(arch='ti'),
                 head=dict(num_classes=2, in_channels=192)))
data_preprocessor.update(num_classes=2)
for loader in (train_dataloader, val_dataloader):
    loader.merge(dict(batch_size=2, num_workers=0, persistent_workers=False,
                      dataset=dict(data_root={data!r})))
test_dataloader = val_dataloader
val_evaluator.update(topk=(1, ))
test_evaluator = val_evaluator
train_cfg.update(max_epochs=1)
default_hooks.logger.interval = 1
''',
    # mmdet's Faster R-CNN R50-FPN with TNT-Ti and mmtnt's pyramid instead of
    # the ResNet.
    'det_from_mmdet.py':
    '''
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'
model = dict(
    data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3),
    backbone=dict(_delete_=True, type='mmtnt.TNT', arch='ti',
                  out_indices=(2, 5, 8, 11),
                  out_type='featmap'),
    neck=[dict(type='mmtnt.TNTFeaturePyramid', in_channels=192,
               scales=(4, 2, 1, 0.5)),
          dict(type='FPN', in_channels=[192] * 4, out_channels=256,
               num_outs=5)])
''' + DETECTOR_DATA,
    # mmtnt's own Faster R-CNN (a TNT-S release in its init_cfg) with TNT-Ti
    # from scratch.
    'det_from_mmtnt.py':
    '''
_base_ = 'mmtnt::faster_rcnn/faster-rcnn_tnt-s_fpn_1x_coco.py'
model = dict(
    backbone=dict(arch='ti', init_cfg=None),
    neck=[dict(type='mmtnt.TNTFeaturePyramid', in_channels=192,
               scales=(4, 2, 1, 0.5), downsample='conv'),
          dict(type='FPN', in_channels=[192] * 4, out_channels=256,
               num_outs=5)])
''' + DETECTOR_DATA,
    # mmseg's Segmenter (ViT-T) with TNT-Ti instead of the ViT; whole-image
    # test at any size.
    'seg_from_mmseg.py':
    '''
_base_ = 'mmseg::segmenter/segmenter_vit-t_mask_8xb1-160k_ade20k-512x512.py'
crop_size = (128, 128)
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=crop_size),
    backbone=dict(_delete_=True, type='mmtnt.TNT', arch='ti',
                  out_indices=(11, ),
                  out_type='featmap'),
    test_cfg=dict(_delete_=True, mode='whole'))
data_root = {data!r}
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root,
                                     pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root,
                                   pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=2, val_interval=2)
param_scheduler = []
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=2))
''',
}


@pytest.fixture(scope='module')
def project(tmp_path_factory, tiny_imagenet, coco_photos, ade_photos):
    """The project folder: configs/ of its own; data made from real
    photographs."""
    root = tmp_path_factory.mktemp('my_project')
    data = {'cls': tiny_imagenet, 'det': coco_photos + '/', 'seg': ade_photos}
    os.makedirs(root / 'configs')
    detector_data = detection_data(coco_photos, max_epochs=1, scale=(320, 256))
    for name, text in PROJECT.items():
        (root / 'configs' / name).write_text(
            text.format(data=data[name[:3]], detector_data=detector_data))
    photo = np.asarray(
        Image.open(
            osp.join(data['cls'], 'train', 'n01440760', 'astronaut.JPEG')))
    Image.fromarray(photo[:301, :457]).save(
        root / 'odd.jpg')  # 301 x 457: no multiple of 16
    return root


def run(args, cwd):
    """Run in the project folder with the environment's interpreter; the
    checkout is not on the path."""
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    proc = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, (
        f'{args}:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}')
    return proc


def losses(work_dir):
    files = [
        osp.join(dp, f) for dp, _, fs in os.walk(work_dir) for f in fs
        if f == 'scalars.json'
    ]
    records = [
        json.loads(line) for path in files for line in open(path)
        if line.strip()
    ]
    return [r['loss'] for r in records if 'loss' in r]


def last_checkpoint(work_dir):
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


@pytest.mark.parametrize('name', sorted(PROJECT))
def test_downstream_config_trains_tests_and_infers(project, name, tmp_path):
    config = osp.join('configs', name)
    work = str(tmp_path / 'train')
    # One classification config trains with mmtnt's tools/train.py by path, as
    # from a clone; the others with `mim train`, which runs the same script
    # from the package's .mim.
    if name == 'cls_from_mmpretrain.py':
        run([
            sys.executable,
            osp.join(ROOT, 'tools', 'train.py'), config, '--work-dir', work
        ],
            cwd=project)
        assert losses(work) and all(np.isfinite(losses(work)))
    else:
        # The lazy-import config with mmpretrain's own train.py.
        package = 'mmpretrain' if 'lazy' in name else 'mmtnt'
        work = str(tmp_path / 'mim')
        proc = run([
            sys.executable, '-m', 'mim', 'train', package, config,
            '--work-dir', work
        ],
                   cwd=project)
        assert f'{package}/.mim/tools/train.py' in proc.stdout
        assert losses(work) and all(np.isfinite(losses(work)))
    checkpoint = last_checkpoint(work)
    proc = run([
        sys.executable, '-m', 'mim', 'test', 'mmtnt', config, '--checkpoint',
        checkpoint, '--work-dir',
        str(tmp_path / 'test')
    ],
               cwd=project)
    assert '.mim/tools/test.py' in proc.stdout
    assert name[:3] != 'cls' or 'accuracy/top1' in proc.stdout
    assert name[:3] != 'det' or 'bbox_mAP' in proc.stdout
    assert name[:3] != 'seg' or 'mIoU' in proc.stdout
    run([
        sys.executable, '-c', INFERENCE[name[:3]], config, checkpoint,
        'odd.jpg'
    ],
        cwd=project)


# Each toolbox's own inference API on the odd-size photograph, the config read
# with mmengine's Config.fromfile (mmengine knows the `mmtnt::` scope once
# mmtnt is imported). mmengine's loader (torch's weights_only=True) refuses
# what mmengine itself pickles in a checkpoint (its message hub), so the
# loading happens inside mmtnt's scoped allow-list.
INFERENCE = {
    'cls':
    '''
import sys
from mmengine.config import Config
from mmtnt.checkpoint import checkpoint_types_allowed
from mmpretrain.apis import ImageClassificationInferencer
config, checkpoint, image = sys.argv[1:]
with checkpoint_types_allowed():
    inferencer = ImageClassificationInferencer(
        Config.fromfile(config), pretrained=checkpoint, device='cpu')
result = inferencer(image)[0]
assert result['pred_label'] in (0, 1) and 0 < result['pred_score'] <= 1, result
''',
    'det':
    '''
import sys
from mmdet.apis import inference_detector, init_detector
from mmtnt.checkpoint import checkpoint_types_allowed
config, checkpoint, image = sys.argv[1:]
with checkpoint_types_allowed():
    model = init_detector(config, checkpoint, device='cpu')
result = inference_detector(model, image)
assert result.metainfo['ori_shape'] == (301, 457), result.metainfo
assert result.pred_instances.bboxes.shape[1] == 4
''',
    'seg':
    '''
import sys
from mmseg.apis import inference_model, init_model
from mmtnt.checkpoint import checkpoint_types_allowed
config, checkpoint, image = sys.argv[1:]
with checkpoint_types_allowed():
    model = init_model(config, checkpoint, device='cpu')
result = inference_model(model, image)
shape = tuple(result.pred_sem_seg.data.shape[-2:])
assert shape == (301, 457), shape
''',
}


def test_mim_search_reads_the_model_index(tmp_path):
    proc = run([sys.executable, '-m', 'mim', 'search', 'mmtnt'], cwd=tmp_path)
    for name in ('tnt-s-p16_official_in1k', 'faster-rcnn_tnt-s_fpn_1x_coco',
                 'trans2seg_tnt-s_8xb2-40k_ade20k-512x512'):
        assert f'config id: {name}' in proc.stdout
    weights = run(
        [sys.executable, '-m', 'mim', 'search', 'mmtnt', '--field', 'weight'],
        cwd=tmp_path).stdout
    assert 'config id: tnt-b-p16_official_in1k' in weights
    assert 'huawei-noah' in weights
    assert 'config id: tnt-ti-p16_in1k' not in weights  # no released weights


def test_config_inherited_by_path_trains_with_the_toolbox_own_tools(
        digits_root, tmp_path):
    """`mim train mmpretrain` parses a config before anything imports mmtnt,
    so it cannot read `mmtnt::`; a base named by its path in the installed
    package trains, the `mmtnt.` types importing mmtnt."""
    import mmtnt
    base = osp.join(
        osp.dirname(mmtnt.__file__), '.mim', 'configs', 'tnt',
        'tnt-mini-p8_1xb64-100e_digits.py')
    (tmp_path / 'child.py').write_text(
        f'_base_ = {base!r}\n'
        f'data_root = {digits_root!r}\n'
        'train_dataloader = dict(dataset=dict(data_root=data_root, '
        'indices=64), num_workers=0, persistent_workers=False)\n'
        'val_dataloader = dict(dataset=dict(data_root=data_root, indices=32),'
        ' num_workers=0, persistent_workers=False)\n'
        'test_dataloader = val_dataloader\n'
        'train_cfg = dict(max_epochs=1)\n')
    work = str(tmp_path / 'work')
    proc = run([
        sys.executable, '-m', 'mim', 'train', 'mmpretrain', 'child.py',
        '--work-dir', work
    ],
               cwd=tmp_path)
    assert 'mmpretrain/.mim/tools/train.py' in proc.stdout
    assert losses(work) and all(np.isfinite(losses(work)))
