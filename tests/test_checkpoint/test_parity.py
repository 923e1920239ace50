"""Released-format checkpoints give mmtnt the reference's logits (max |diff| <
1e-4).
"""
import os.path as osp

import pytest
import torch
from mmengine.runner import load_checkpoint

import mmtnt  # noqa: F401
from mmtnt.checkpoint import CheckpointFormatError, convert_checkpoint, unwrap
from tests.helpers import build_classifier
from tests.helpers.reference_checkpoints import (mmpretrain_checkpoint,
                                                 mmpretrain_classifier,
                                                 official_state_dict,
                                                 timm_model)

build = build_classifier


def logits(model, x):
    with torch.no_grad():
        return model(x, mode='tensor')


@pytest.mark.parametrize('name,config,layout', [
    ('tnt_s_patch16_224', 'tnt-s_16xb64_in1k.py', 'official'),
    ('tnt_s_legacy_patch16_224', 'tnt-s-legacy_16xb64_in1k.py', 'legacy'),
])
def test_timm_checkpoint(images, name, config, layout):
    ref = timm_model(name)
    state, fmt, found = convert_checkpoint(ref.state_dict())
    assert (fmt, found) == ('timm', layout)
    model = build(config)
    model.load_state_dict(state, strict=True)
    with torch.no_grad():
        expected = ref(images)
    assert (logits(model, images) - expected).abs().max() < 1e-4


@pytest.mark.parametrize('arch,config', [('s', 'tnt-s_16xb64_in1k.py'),
                                         ('b', 'tnt-b_16xb64_in1k.py')])
def test_official_checkpoint(images, arch, config):
    ref = timm_model(f'tnt_{arch}_patch16_224', seed=1)
    state, fmt, layout = convert_checkpoint(official_state_dict(ref))
    assert (fmt, layout) == ('official', 'official')
    model = build(config)
    model.load_state_dict(state, strict=True)
    with torch.no_grad():
        expected = ref(images[:2])
    assert (logits(model, images[:2]) - expected).abs().max() < 1e-4


def test_mmpretrain_checkpoint_loads_as_is(images, tmp_path):
    """Through mmengine's load_checkpoint (what tools/test.py uses), no
    conversion step.
    """
    ref = mmpretrain_classifier()
    path = str(tmp_path / 'tnt-small-p16_3rdparty_in1k.pth')
    torch.save(mmpretrain_checkpoint(ref), path)
    model = build('tnt-s-legacy_16xb64_in1k.py')
    load_checkpoint(model, path, map_location='cpu')
    # both classifiers normalise with their preprocessors
    x = images * 127.5 + 127.5
    data = dict(inputs=list(x.flip(1).to(
        torch.uint8)))  # BGR uint8, as loaded from disk
    with torch.no_grad():
        ours = model.test_step(data)
        theirs = ref.test_step(data)
    diff = max((a.pred_score - b.pred_score).abs().max().item()
               for a, b in zip(ours, theirs))
    assert diff < 1e-4
    raw_ours = logits(model, model.data_preprocessor(data)['inputs'])
    raw_ref = logits(ref, ref.data_preprocessor(data)['inputs'])
    assert (raw_ours - raw_ref).abs().max() < 1e-4


def test_wrong_layout_is_refused_with_advice(tmp_path):
    ref = mmpretrain_classifier()
    path = str(tmp_path / 'legacy.pth')
    torch.save(mmpretrain_checkpoint(ref), path)
    model = build('tnt-s_16xb64_in1k.py')  # official layout
    with pytest.raises(CheckpointFormatError) as err:
        load_checkpoint(model, path, map_location='cpu')
    msg = str(err.value)
    assert "'legacy' TNT layout" in msg and 'mmpretrain' in msg
    assert "layout='legacy'" in msg and 'tnt_to_mmtnt.py' in msg


def test_incomplete_checkpoint_is_refused(tmp_path):
    ref = timm_model('tnt_s_patch16_224')
    state, _, _ = convert_checkpoint(ref.state_dict())
    del state['backbone.blocks.3.attn_in.qk.weight']
    model = build('tnt-s_16xb64_in1k.py')
    with pytest.raises(
            CheckpointFormatError, match='blocks.3.attn_in.qk.weight'):
        load_checkpoint(model, _save(state, tmp_path), map_location='cpu')


def _save(state, directory):
    path = osp.join(str(directory), 'partial.pth')
    torch.save({'state_dict': state}, path)
    return path


def test_sentence_pos_resized_at_load(images, tmp_path):
    """A 224 checkpoint into a 384 model: the logits equal timm's model built
    for 384 from the same weights, its 14x14 encoding resized by plain bicubic
    interpolation here (not by mmtnt's code)."""
    ref = timm_model('tnt_s_patch16_224')
    state, _, _ = convert_checkpoint(ref.state_dict())
    model = build('tnt-s_16xb64_in1k.py', img_size=384)
    load_checkpoint(model, _save(state, tmp_path), map_location='cpu')

    ref384 = timm_model('tnt_s_patch16_224', img_size=384)
    sd = ref.state_dict()
    pos = sd['patch_pos']  # (1, 1 + 14*14, 384)
    grid = pos[:, 1:].reshape(1, 14, 14, -1).permute(0, 3, 1, 2)
    grid = torch.nn.functional.interpolate(
        grid, size=(24, 24), mode='bicubic', align_corners=False)
    sd['patch_pos'] = torch.cat(
        [pos[:, :1], grid.flatten(2).transpose(1, 2)], dim=1)
    ref384.load_state_dict(sd)
    x = torch.nn.functional.interpolate(
        images[:1], size=(384, 384), mode='bilinear')
    with torch.no_grad():
        expected = ref384(x)
    assert (logits(model, x) - expected).abs().max() < 1e-4


@pytest.mark.parametrize('arch', ['s', 'b'])
def test_conversion_keeps_every_tensor(arch):
    """Official-format tensors come out equal to timm's, key for key."""
    ref = timm_model(f'tnt_{arch}_patch16_224', seed=2)
    state, _, _ = convert_checkpoint(official_state_dict(ref))
    expected = ref.state_dict()
    assert len(state) == len(expected)
    for k, v in expected.items():
        key = 'head.fc.' + k[5:] if k.startswith('head.') else 'backbone.' + k
        assert torch.equal(state[key], v), key


def test_mmpretrain_conversion_splits_qkv_exactly():
    ref = mmpretrain_classifier()
    src = ref.state_dict()
    state, fmt, layout = convert_checkpoint(mmpretrain_checkpoint(ref))
    assert (fmt, layout) == ('mmpretrain', 'legacy')
    for i in (0, 11):
        for part, name in (('inner', 'attn_in'), ('outer', 'attn_out')):
            qkv = src[f'backbone.layers.{i}.{part}_block.attn.attn.in_proj_'
                      'weight']
            ours = torch.cat([
                state[f'backbone.blocks.{i}.{name}.qk.weight'],
                state[f'backbone.blocks.{i}.{name}.v.weight']
            ])
            assert torch.equal(ours, qkv)
    assert torch.equal(state['head.fc.weight'], src['head.fc.weight'])


def test_not_a_tnt_checkpoint():
    with pytest.raises(CheckpointFormatError) as err:
        convert_checkpoint({
            'conv1.weight': torch.zeros(1),
            'fc.weight': torch.zeros(1)
        })
    # the keys found, and the keys each known format would have
    for fact in ("['conv1.weight', 'fc.weight']", 'outer_pos',
                 'blocks.N.attn_out', 'layers.N.inner_block',
                 'stages.N.relative_pos'):
        assert fact in str(err.value)


@pytest.mark.parametrize('key',
                         ['state_dict', 'model', 'state_dict_ema', 'module'])
def test_state_dict_found_under_each_key_releases_use(key):
    # mmengine/mmpretrain: state_dict; DeiT-style releases: model; timm's
    # train script: state_dict_ema; a pickled DataParallel: module
    sd = {'outer_pos': torch.zeros(1)}
    assert unwrap({key: sd, 'meta': {}}) == sd
    if key != 'state_dict':  # state_dict comes first
        assert unwrap({key: {'x': 1}, 'state_dict': sd}) == sd
    assert unwrap(sd) == sd
    # DDP's module. prefix goes, in every wrapper
    assert unwrap({key: {'module.outer_pos': sd['outer_pos']}}) == sd
