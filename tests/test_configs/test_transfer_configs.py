"""Table 9 transfer configs fine-tune at 384 from a 224 release on data in each
set's own layout.

Each config trains one iteration and evaluates on a few real photographs
written in the dataset's on-disk format
(tools/misc/make_demo_transfer_sets.py), starting from an official-format
checkpoint made from timm's reference model; the 14x14 sentence position
encoding must come out 24x24 in the fine-tuned checkpoint.
"""
import glob
import os.path as osp
import runpy
import sys

import pytest
import torch

from tests.helpers import ROOT, run_tool, scalars
from tests.helpers.reference_checkpoints import official_state_dict, timm_model

pytestmark = pytest.mark.slow  # end-to-end runs of the tools

FORMATS = ('cifar10', 'cifar100', 'flowers102', 'pets', 'inat2019')
CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs/tnt/transfer/*.py')))


def dataset_of(config):
    return osp.basename(config).split('_')[-1].split('-')[0]


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp('transfer')
    run_tool([
        'tools/misc/make_demo_transfer_sets.py', 'all',
        str(root), '--per-split', '2'
    ])
    return {fmt: str(root / fmt) for fmt in FORMATS}


@pytest.fixture(scope='module')
def releases(tmp_path_factory):
    """Official-layout ImageNet checkpoints (224) of TNT-S and TNT-B."""
    root = tmp_path_factory.mktemp('releases')
    out = {}
    for arch in ('s', 'b'):
        path = str(root / f'tnt_{arch}_official.pth.tar')
        torch.save(
            official_state_dict(timm_model(f'tnt_{arch}_patch16_224')), path)
        out[arch] = path
    return out


def test_one_config_per_dataset_and_model():
    assert {(osp.basename(c)[4], dataset_of(c))
            for c in CONFIGS} == {(a, d)
                                  for a in 'sb'
                                  for d in FORMATS}


def test_paper_schedule():
    from mmengine.config import Config
    for config in CONFIGS:
        cfg = Config.fromfile(config)
        epochs = 64 if dataset_of(config).startswith('cifar') else 300
        assert cfg.train_cfg.max_epochs == epochs and cfg.param_scheduler[
            -1].end == epochs
        assert cfg.model.backbone.img_size == 384
        assert cfg.model.head.num_classes == cfg.data_preprocessor.num_classes


@pytest.mark.parametrize('config', CONFIGS, ids=osp.basename)
def test_transfer_config_fine_tunes(config, data, releases, tmp_path,
                                    monkeypatch, capsys):
    # The made CIFAR pickles cannot have the release's md5 sums, which
    # mmpretrain checks.
    monkeypatch.setattr('mmpretrain.datasets.cifar.check_md5',
                        lambda *a, **k: True)
    arch = osp.basename(config)[4]
    opts = [
        f'{loader}.{key}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
        for key in (f'dataset.data_root={data[dataset_of(config)]}',
                    'num_workers=0', 'persistent_workers=False',
                    'batch_size=2', 'dataset.indices=2')
    ]
    opts += [
        'train_cfg.max_epochs=1',
        'default_hooks.logger.interval=1',
        # the weights are what is checked; AdamW's state would double the
        # 0.5-1 GB a TNT-B checkpoint takes to write and read
        'default_hooks.checkpoint.save_optimizer=False',
        f'model.backbone.init_cfg.checkpoint={releases[arch]}'
    ]
    monkeypatch.setattr(sys, 'argv', [
        'tools/train.py', config, '--work-dir',
        str(tmp_path), '--cfg-options'
    ] + opts)
    runpy.run_path(osp.join(ROOT, 'tools', 'train.py'), run_name='__main__')
    out = capsys.readouterr().out
    assert 'training finished at epoch 1' in out
    records = scalars(str(tmp_path))
    losses = [r['loss'] for r in records if 'loss' in r]
    assert len(losses) == 1 and 0 < losses[0] < 100
    assert any('accuracy/top1' in r for r in records)
    state = torch.load(
        osp.join(str(tmp_path), 'epoch_1.pth'),
        map_location='cpu',
        weights_only=False)['state_dict']
    width = 384 if arch == 's' else 640
    assert state['backbone.patch_pos'].shape == (1, 1 + 24 * 24, width)
    log = open(glob.glob(osp.join(str(tmp_path), '*', '*.log'))[0]).read()
    assert (f'TNT: loaded {releases[arch]} (official format, official layout)'
            in log)
