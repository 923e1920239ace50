"""The ImageNet configs of TNT and PyramidTNT (official recipes, all
augmentations on) train and evaluate end to end.
"""
import os.path as osp

import pytest

from tests.helpers import run_tool, scalars, write_tiny_imagenet

pytestmark = pytest.mark.slow  # end-to-end runs of the tools


@pytest.fixture(scope='module')
def tiny_imagenet(tmp_path_factory):
    return write_tiny_imagenet(str(tmp_path_factory.mktemp('imagenet')))


@pytest.mark.parametrize('config', [
    'tnt/tnt-ti_16xb64_in1k.py', 'tnt/tnt-s_16xb64_in1k.py',
    'tnt/tnt-s-legacy_16xb64_in1k.py', 'tnt/tnt-b_16xb64_in1k.py',
    'pyramid_tnt/pyramid-tnt-ti_8xb128_in1k.py',
    'pyramid_tnt/pyramid-tnt-s_8xb128_in1k.py',
    'pyramid_tnt/pyramid-tnt-m_8xb128_in1k.py',
    'pyramid_tnt/pyramid-tnt-b_8xb128_in1k.py'
])
def test_imagenet_config_trains_and_evaluates(config, tiny_imagenet, tmp_path):
    opts = [
        f'{loader}.{key}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
        for key in (f'dataset.data_root={tiny_imagenet}', 'num_workers=0',
                    'persistent_workers=False', 'batch_size=2')
    ]
    opts += ['train_cfg.max_epochs=1', 'default_hooks.logger.interval=1']
    run_tool([
        'tools/train.py', f'configs/{config}', '--work-dir',
        str(tmp_path), '--auto-scale-lr', '--cfg-options'
    ] + opts)
    records = scalars(str(tmp_path))
    losses = [r['loss'] for r in records if 'loss' in r]
    assert len(losses) == 3 and all(0 < loss < 100
                                    for loss in losses)  # 6 images / batch 2
    # --auto-scale-lr: 1 process x 2 images against the recipe's 1024.
    assert records[0]['base_lr'] <= 1e-3 * 2 / 1024 * 1.0001
    val = [r for r in records if 'accuracy/top1' in r]
    assert len(val) == 1 and {'accuracy/top1', 'accuracy/top5'} <= set(val[0])
    assert osp.isfile(osp.join(str(tmp_path), 'epoch_1.pth'))
