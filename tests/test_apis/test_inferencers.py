"""mmtnt.apis.get_inferencer without running a network: which toolbox's
inferencer each task gets, with mmtnt's model (and the overrides) inside."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmtnt.apis import get_inferencer
from mmtnt.utils import load_config
from tests.helpers import DIGITS_CONFIG, ROOT


def scope_name():
    current = DefaultScope.get_current_instance()
    return current and current.scope_name


def test_classifier_gets_mmpretrains_inferencer_with_the_overrides():
    before = scope_name()
    inferencer = get_inferencer(
        osp.join(ROOT, DIGITS_CONFIG), head=dict(num_classes=7))
    assert type(inferencer).__name__ == 'ImageClassificationInferencer'
    assert inferencer.model.head.fc.out_features == 7
    assert inferencer.model.dataset_meta['classes'][:2] == ('zero', 'one')
    assert scope_name() == before


def test_no_weights_are_asked_for_by_default():
    with pytest.raises(ValueError, match='has no released weights'):
        get_inferencer(osp.join(ROOT, DIGITS_CONFIG), pretrained=True)


def test_detector_gets_mmdets_inferencer_quietly():
    inferencer = get_inferencer(
        osp.join(ROOT, 'configs/faster_rcnn/faster-rcnn_tnt-s_fpn_1x_coco.py'),
        backbone=dict(init_cfg=None))
    assert type(inferencer).__name__ == 'DetInferencer'
    assert inferencer.show_progress is False
    assert type(inferencer.model).__name__ == 'FasterRCNN'
    assert inferencer.model.backbone.init_cfg is None
    meta = inferencer.visualizer.dataset_meta
    assert meta is inferencer.model.dataset_meta and len(meta['classes']) == 80


def test_segmentor_gets_mmsegs_inferencer_with_classes_and_palette_only():
    inferencer = get_inferencer(
        osp.join(
            ROOT,
            'configs/trans2seg/trans2seg_tnt-s_8xb2-40k_ade20k-512x512.py'),
        backbone=dict(init_cfg=None))
    assert type(inferencer).__name__ == 'MMSegInferencer'
    meta = inferencer.model.dataset_meta
    assert set(meta) == {'classes', 'palette'} and len(meta['classes']) == 150
    assert inferencer.visualizer.dataset_meta is meta


def test_config_without_a_default_scope_is_a_classifier():
    """A config of the user's own that names no scope gets mmpretrain's
    inferencer (mmtnt's configs name theirs)."""
    settings = load_config(osp.join(ROOT, DIGITS_CONFIG)).to_dict()
    del settings['default_scope']
    inferencer = get_inferencer(Config(settings))
    assert type(inferencer).__name__ == 'ImageClassificationInferencer'
