"""tools/test.py on mmpretrain's released TNT-S format, and the converter CLI.
"""
import os
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from tests.helpers import ROOT, run_tool
from tests.helpers.reference_checkpoints import (mmpretrain_checkpoint,
                                                 mmpretrain_classifier,
                                                 official_state_dict,
                                                 timm_model)

pytestmark = pytest.mark.slow  # end-to-end runs of the tools

LEGACY = 'configs/tnt/tnt-s-legacy_16xb64_in1k.py'


def make_imagenet_val(root,
                      names=('astronaut', 'coffee', 'chelsea', 'rocket')):
    """A tiny ImageNet val split (val/*.JPEG, meta/val.txt) of real
    photographs.
    """
    import skimage.data
    from PIL import Image
    os.makedirs(osp.join(root, 'val'), exist_ok=True)
    os.makedirs(osp.join(root, 'meta'), exist_ok=True)
    paths = []
    for name in names:
        path = osp.join(root, 'val', f'ILSVRC2012_val_{name}.JPEG')
        Image.fromarray(getattr(skimage.data, name)()).convert('RGB').save(
            path, quality=95)
        paths.append(path)
    return paths


def reference_predictions(model, paths):
    """Labels the mmpretrain reference predicts through the config's own test
    pipeline.
    """
    from mmcv.transforms import Compose
    from mmengine.dataset import pseudo_collate
    from mmpretrain.registry import TRANSFORMS
    cfg = Config.fromfile(osp.join(ROOT, LEGACY))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipeline = Compose([TRANSFORMS.build(t) for t in cfg.test_pipeline])
        batch = pseudo_collate([pipeline(dict(img_path=p)) for p in paths])
        with torch.no_grad():
            return [int(s.pred_label) for s in model.test_step(batch)]


def test_released_mmpretrain_checkpoint_evaluates_as_is(tmp_path):
    ref = mmpretrain_classifier(seed=3)
    ckpt = str(tmp_path / 'tnt-small-p16_3rdparty_in1k_20210903-c56ee7df.pth')
    torch.save(mmpretrain_checkpoint(ref), ckpt)
    root = str(tmp_path / 'imagenet')
    paths = make_imagenet_val(root)
    labels = reference_predictions(ref, paths)
    with open(osp.join(root, 'meta', 'val.txt'), 'w') as f:
        f.writelines(f'{osp.basename(p)} {l}\n' for p, l in zip(paths, labels))
    proc = run_tool([
        'tools/test.py', LEGACY, ckpt, '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        f'test_dataloader.dataset.data_root={root}',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'test_dataloader.batch_size=2'
    ])
    out = proc.stdout + proc.stderr
    top1 = float(re.search(r'accuracy/top1: ([\d.]+)', out).group(1))
    assert top1 == 100.0  # mmtnt predicts exactly what the reference predicts


def test_wrong_layout_through_test_tool(tmp_path):
    ckpt = str(tmp_path / 'mmpretrain.pth')
    torch.save(mmpretrain_checkpoint(mmpretrain_classifier()), ckpt)
    root = str(tmp_path / 'imagenet')
    paths = make_imagenet_val(root, names=('coffee', ))
    with open(osp.join(root, 'meta', 'val.txt'), 'w') as f:
        f.write(f'{osp.basename(paths[0])} 0\n')
    cmd = [
        'tools/test.py', 'configs/tnt/tnt-s_16xb64_in1k.py', ckpt,
        '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        f'test_dataloader.dataset.data_root={root}',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False'
    ]
    proc = run_tool(cmd, check=False)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(
        f'error: {ckpt}: the checkpoint has the \'legacy\' TNT layout')
    assert 'tnt_to_mmtnt.py' in last


def test_missing_dataset_is_named(tmp_path):
    proc = run_tool([
        'tools/test.py', LEGACY, __file__, '--cfg-options',
        f'test_dataloader.dataset.data_root={tmp_path}/nowhere'
    ],
                    check=False)
    assert proc.returncode != 0
    assert (f"test_dataloader.dataset.data_root='{tmp_path}/nowhere' "
            'does not exist' in proc.stderr)


def test_converter_official_timm_mmpretrain(tmp_path):
    sources = {
        'tnt_s_81.5.pth.tar':
        (official_state_dict(timm_model()), 'official', 'official'),
        'timm_legacy.pth':
        (timm_model('tnt_s_legacy_patch16_224').state_dict(), 'timm',
         'legacy'),
        'mmpretrain.pth': (mmpretrain_checkpoint(mmpretrain_classifier()),
                           'mmpretrain', 'legacy'),
    }
    for name, (obj, fmt, layout) in sources.items():
        src, dst = str(tmp_path / name), str(tmp_path / f'{name}.mmtnt.pth')
        torch.save(obj, src)
        proc = run_tool(['tools/model_converters/tnt_to_mmtnt.py', src, dst])
        assert f'{fmt} format, {layout} layout' in proc.stdout
        out = torch.load(dst, weights_only=False)
        assert out['meta']['layout'] == layout
        assert 'head.fc.weight' in out['state_dict']
        assert 'backbone.blocks.0.attn_in.qk.weight' in out['state_dict']


def test_converter_refuses_other_files(tmp_path):
    not_tnt = str(tmp_path / 'resnet.pth')
    torch.save({'state_dict': {'conv1.weight': torch.zeros(2)}}, not_tnt)
    garbage = str(tmp_path / 'notes.txt')
    open(garbage, 'w').write('hello')
    for src, msg in ((not_tnt, 'no TNT weights found'), (garbage,
                                                         'could not be read')):
        proc = run_tool([
            'tools/model_converters/tnt_to_mmtnt.py', src,
            str(tmp_path / 'out.pth')
        ],
                        check=False)
        assert proc.returncode != 0 and msg in proc.stderr
        assert not osp.exists(tmp_path / 'out.pth')


def reference_scores(reference, config, paths):
    """Softmax scores of a reference implementation on the config's own test
    pipeline and normalisation."""
    from mmcv.transforms import Compose
    from mmengine.dataset import pseudo_collate
    from mmpretrain.registry import MODELS, TRANSFORMS
    cfg = Config.fromfile(osp.join(ROOT, config))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipeline = Compose([TRANSFORMS.build(t) for t in cfg.test_pipeline])
        preprocessor = MODELS.build(
            dict(type='ClsDataPreprocessor', **cfg.data_preprocessor))
    inputs = preprocessor(
        pseudo_collate([pipeline(dict(img_path=p)) for p in paths]))['inputs']
    with torch.no_grad():
        logits = reference(inputs) if hasattr(reference, 'default_cfg') else \
            reference(inputs, mode='tensor')
    return logits.softmax(-1).numpy()


@pytest.mark.parametrize('fmt', ['official', 'timm', 'mmpretrain'])
def test_test_tool_reads_each_release_as_downloaded(fmt, tmp_path):
    """The file as released, through tools/test.py, scores as the reference
    implementation.
    """
    import pickle

    import numpy as np
    reference, saved, config = {
        'official':
        lambda: (lambda m: (m, official_state_dict(m)))(timm_model()) +
        ('configs/tnt/tnt-s_16xb64_in1k.py', ),
        'timm':
        lambda: (lambda m: (m, {
            'state_dict': m.state_dict()
        }))(timm_model(seed=1)) + ('configs/tnt/tnt-s_16xb64_in1k.py', ),
        'mmpretrain':
        lambda: (lambda m: (m, mmpretrain_checkpoint(m)))
        (mmpretrain_classifier(seed=2)) + (LEGACY, ),
    }[fmt]()
    raw = str(tmp_path / 'release.pth')
    torch.save(saved, raw)
    root = str(tmp_path / 'imagenet')
    paths = make_imagenet_val(root, names=('coffee', 'rocket'))
    with open(osp.join(root, 'meta', 'val.txt'), 'w') as f:
        f.writelines(f'{osp.basename(p)} 0\n' for p in paths)
    out = str(tmp_path / 'preds.pkl')
    proc = run_tool([
        'tools/test.py', config, raw, '--out', out, '--work-dir',
        str(tmp_path / 'w'), '--cfg-options',
        f'test_dataloader.dataset.data_root={root}',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False'
    ])
    assert f'{raw}: {fmt} format, converted to' in proc.stdout
    with open(out, 'rb') as f:
        scores = np.stack([p['pred_score'].numpy() for p in pickle.load(f)])
    assert scores.shape == (2, 1000)
    np.testing.assert_allclose(
        scores, reference_scores(reference, config, paths), atol=1e-5)


def test_test_tool_refuses_a_file_that_does_not_fit_before_evaluating(
        tmp_path):
    ckpt = str(tmp_path / 'resnet.pth')
    torch.save(
        {'state_dict': {
            'backbone.conv1.weight': torch.zeros(64, 3, 7, 7)
        }}, ckpt)
    root = str(tmp_path / 'imagenet')
    paths = make_imagenet_val(root, names=('coffee', ))
    with open(osp.join(root, 'meta', 'val.txt'), 'w') as f:
        f.write(f'{osp.basename(paths[0])} 0\n')
    proc = run_tool([
        'tools/test.py', 'configs/tnt/tnt-ti_16xb64_in1k.py', ckpt,
        '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        f'test_dataloader.dataset.data_root={root}',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False'
    ],
                    check=False)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(
        f'error: {ckpt} does not fit the model: ') and 'missing' in last
    assert 'accuracy/top1' not in proc.stdout + proc.stderr
