"""Every config under configs/tnt builds; the ImageNet ones carry the paper's
recipe.
"""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

import mmtnt  # noqa: F401
from tests.helpers import ROOT

# Ablation and transfer configs train in their own tests
# (test_ablation_configs.py, test_tools/test_transfer_configs.py).
TNT_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs/tnt/*.py')))


@pytest.mark.parametrize('path', TNT_CONFIGS, ids=osp.basename)
def test_config_builds_and_runs(path):
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(path)
    cfg.model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    model.init_weights()
    size = cfg.model.backbone.get('img_size', 224)
    with torch.no_grad():
        out = model.eval()(torch.randn(1, 3, size, size), mode='tensor')
    assert out.shape == (1, cfg.model.head.num_classes)


@pytest.mark.parametrize(
    'name',
    ['tnt-ti_16xb64_in1k.py', 'tnt-s_16xb64_in1k.py', 'tnt-b_16xb64_in1k.py'])
def test_imagenet_recipe(name):
    """Item by item, the official 8-GPU command (huawei-noah
    tnt_pytorch/readme.md): --opt adamw --lr 1e-3 (-b 128 x 8 = 1024) --opt-eps
    1e-8 --weight-decay .05 --sched cosine --epochs 300 --warmup-epochs 5
    --warmup-lr 1e-6 --aa rand-m9-mstd0.5-inc1 --remode pixel --reprob 0.25
    --repeated-aug --mixup .8 --cutmix 1.0 --drop-path .1 --model-ema
    --model-ema-decay 0.99996, and timm's defaults --smoothing 0.1 --min-lr
    1e-5."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs/tnt', name))
    opt = cfg.optim_wrapper
    assert opt.optimizer.type == 'AdamW' and opt.optimizer.lr == 1e-3
    assert opt.optimizer.weight_decay == 0.05 and opt.optimizer.eps == 1e-8
    ema = [h for h in cfg.custom_hooks if h.type == 'EMAHook']
    assert len(ema) == 1 and 1 - ema[0].momentum == pytest.approx(
        0.99996, abs=1e-12)
    assert cfg.param_scheduler[
        0].start_factor * opt.optimizer.lr == pytest.approx(1e-6)
    assert cfg.param_scheduler[1].eta_min == 1e-5
    assert cfg.train_dataloader.sampler.type == 'RepeatAugSampler'
    steps = {t.type: t for t in cfg.train_dataloader.dataset.pipeline}
    rand_aug = steps['RandAugment']  # rand-m9-mstd0.5-inc1
    assert (rand_aug.policies, rand_aug.num_policies, rand_aug.magnitude_level,
            rand_aug.magnitude_std) == ('timm_increasing', 2, 9, 0.5)
    erasing = steps['RandomErasing']  # --remode pixel: per-pixel normal noise
    assert (erasing.erase_prob, erasing.mode) == (0.25,
                                                  'rand') and erasing.fill_std
    for key in ('.cls_token', '.patch_pos', '.pixel_pos'):
        assert opt.paramwise_cfg.custom_keys[key]['decay_mult'] == 0
    assert cfg.auto_scale_lr.base_batch_size == 1024
    assert cfg.auto_scale_lr.enable
    assert cfg.train_dataloader.batch_size * 16 == 1024
    warmup, cosine = cfg.param_scheduler
    assert (warmup.type, warmup.end) == ('LinearLR', 5)
    assert (cosine.type, cosine.end) == ('CosineAnnealingLR', 300)
    assert cfg.train_cfg.max_epochs == 300
    assert cfg.model.head.loss.label_smooth_val == 0.1
    assert cfg.model.backbone.drop_path_rate == 0.1
    assert [a['type']
            for a in cfg.model.train_cfg.augments] == ['Mixup', 'CutMix']
    assert [a['alpha'] for a in cfg.model.train_cfg.augments] == [0.8, 1.0]
    assert cfg.train_dataloader.sampler.type == 'RepeatAugSampler'
    types = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert 'RandAugment' in types and 'RandomErasing' in types
    assert cfg.data_preprocessor.mean == [
        127.5
    ] * 3 and cfg.data_preprocessor.std == [127.5] * 3
    test = {t['type']: t for t in cfg.test_dataloader.dataset.pipeline}
    assert test['ResizeEdge']['scale'] == 248 and test['ResizeEdge'][
        'interpolation'] == 'bicubic'
    assert test['CenterCrop']['crop_size'] == 224


def test_no_weight_decay_reaches_the_optimizer():
    from mmengine.optim import build_optim_wrapper
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(osp.join(ROOT, 'configs/tnt/tnt-ti_16xb64_in1k.py'))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
        wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    decay = {
        id(p): g['weight_decay']
        for g in wrapper.optimizer.param_groups
        for p in g['params']
    }
    bb = model.backbone
    for p in (bb.cls_token, bb.patch_pos, bb.pixel_pos, bb.norm.weight,
              bb.proj.bias):
        assert decay[id(p)] == 0
    assert decay[id(bb.blocks[0].attn_out.qk.weight)] == 0.05
