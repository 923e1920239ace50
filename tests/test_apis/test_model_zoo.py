"""The model index (model-index.yml, configs/*/metafile.yml) that `mim search
mmtnt`, `mmtnt.apis.list_models` and `get_model(name)` read: every entry
builds, and its params and FLOPs are what get_flops counts."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.registry import MODELS, DefaultScope
from modelindex.load_model_index import load

from mmtnt.apis import list_models, model_info
from mmtnt.utils import load_config
from mmtnt.utils.complexity import count_flops
from tests.helpers import ROOT

INDEX = load(osp.join(ROOT, 'model-index.yml'))
INDEX.build_models_with_collections()
MODELS_IN_INDEX = list(INDEX.models)
# The input size each task's FLOPs are counted at (as the READMEs state).
SHAPES = {
    'Image Classification': None,
    'Object Detection': (800, 1344),
    'Semantic Segmentation': (512, 512)
}


def test_every_config_folder_has_a_metafile_and_readme_in_the_index():
    folders = {
        osp.dirname(p)
        for p in glob.glob(osp.join(ROOT, 'configs/*/*.py'))
    }
    folders -= {osp.join(ROOT, 'configs/_base_')}
    with open(osp.join(ROOT, 'model-index.yml')) as f:
        imported = {
            osp.join(ROOT, osp.dirname(line.split('- ')[1].strip()))
            for line in f if line.strip().startswith('- ')
        }
    assert imported == folders
    assert {osp.join(ROOT, osp.dirname(m.config))
            for m in MODELS_IN_INDEX} == folders
    for folder in folders:
        assert osp.isfile(osp.join(folder, 'README.md'))


def test_released_weights_are_named_by_their_urls():
    assert model_info('tnt-s-p16_official_in1k').weights.endswith(
        '/tnt/tnt_s_81.5.pth.tar')
    assert model_info('tnt-b-p16_official_in1k').weights.endswith(
        '/tnt/tnt_b_82.9.pth.tar')
    assert model_info('tnt-s-p16-legacy_mmpretrain_in1k').weights.endswith(
        'tnt-small-p16_3rdparty_in1k_20210903-c56ee7df.pth')
    assert list_models('tnt-s*') == [
        'tnt-s-p16-legacy_mmpretrain_in1k', 'tnt-s-p16_official_in1k'
    ]
    assert list_models(task='Object Detection') == [
        'detr_tnt-s_8xb2-50e_coco', 'faster-rcnn_tnt-s_fpn_1x_coco'
    ]


def test_unknown_name_lists_close_matches():
    with pytest.raises(
            ValueError, match='did you mean tnt-s-p16_official_in1k'):
        model_info('tnt-s-p16_oficial_in1k')


@pytest.mark.parametrize('model', MODELS_IN_INDEX, ids=lambda m: m.name)
def test_metafile_params_and_flops_match_the_config(model):
    cfg = load_config(osp.join(ROOT, model.config))
    cfg.model.backbone.pop('init_cfg', None)  # no download
    task = model.results[0].task
    size = SHAPES[task] or (cfg.model.backbone.get('img_size', 224), ) * 2
    # Seeded: a two-stage detector's FLOPs follow the number of proposals
    # that survive NMS, which depends on the (random) weights.
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        flops, params = count_flops(
            MODELS.build(cfg.model), size, cfg.default_scope)
    assert params == model.metadata.parameters
    assert flops == pytest.approx(model.metadata.flops, rel=1e-4)


def test_index_is_found_from_any_working_directory(tmp_path, monkeypatch):
    from mmtnt.apis.model_zoo import index_root
    monkeypatch.chdir(tmp_path)
    root = index_root()
    assert osp.isfile(osp.join(root, 'model-index.yml'))
    assert osp.isfile(osp.join(root, 'configs/tnt/tnt-s_16xb64_in1k.py'))
    assert osp.isfile(model_info('tnt-s-p16_official_in1k').config)
