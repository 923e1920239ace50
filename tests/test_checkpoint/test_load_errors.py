"""What each load path says about a file that does not fit (the file, counts
and examples), and the file names, prefixes and URLs it reads."""
import re

import pytest
import torch
from torch import nn

from mmtnt.checkpoint import (CheckpointFormatError, check_fits,
                              convert_checkpoint, load_checkpoint,
                              read_checkpoint)
from mmtnt.models import TNT
from tests.helpers import build_classifier
from tests.helpers.reference_checkpoints import official_state_dict, timm_model


@pytest.fixture(scope='module')
def timm_s():
    return timm_model('tnt_s_patch16_224')


def test_unreadable_file_names_torchs_first_line(tmp_path):
    path = tmp_path / 'truncated.pth'
    torch.save({'w': torch.ones(64)}, path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(Exception) as torch_err:
        torch.load(path, weights_only=True)
    first = str(torch_err.value).strip().splitlines()[0]
    with pytest.raises(CheckpointFormatError) as err:
        read_checkpoint(str(path))
    assert str(
        err.value) == (f'{path} could not be read as a checkpoint ({first}).')


def test_misshapen_weights_are_counted_and_two_are_shown(tmp_path):
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    path = tmp_path / 'wide.pth'
    torch.save(
        {
            'state_dict':
            nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3)).state_dict()
        }, path)
    with pytest.raises(CheckpointFormatError) as err:
        load_checkpoint(model, str(path))
    msg = str(err.value)
    assert msg.startswith(f'{path} does not fit the model: ')
    assert ("4 of another shape (file vs model, e.g. ['0.bias (3,) vs (2,)', "
            "'0.weight (3, 3) vs (2, 2)'])") in msg
    assert all(
        torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_missing_and_unexpected_weights_are_named(tmp_path):
    model = nn.Sequential(nn.Linear(2, 2))
    path = tmp_path / 'other.pth'
    torch.save({'state_dict': {'1.weight': torch.zeros(2, 2)}}, path)
    with pytest.raises(CheckpointFormatError) as err:
        load_checkpoint(model, str(path))
    msg = str(err.value)
    assert msg.startswith(f'{path} does not fit the model: ')
    assert "2 weights missing (e.g. ['0.bias', '0.weight'])" in msg
    assert "1 unexpected (e.g. ['1.weight'])" in msg


def test_classifier_file_with_official_backbone_names_loads(
        tmp_path, timm_s, images):
    """backbone.* in the official release's names (the backbone's pre-hook
    converts them; the file is not a bare release to convert first)."""
    official = official_state_dict(timm_s)['state_dict']
    state = {
        f'backbone.{k}': v
        for k, v in official.items() if not k.startswith('head.')
    }
    state['head.fc.weight'] = official['head.weight']
    state['head.fc.bias'] = official['head.bias']
    path = tmp_path / 'classifier.pth'
    torch.save({'state_dict': state}, path)
    model = build_classifier('tnt-s_16xb64_in1k.py')
    load_checkpoint(model, str(path))
    with torch.no_grad():
        torch.testing.assert_close(
            model(images, mode='tensor'), timm_s(images), atol=1e-4, rtol=1e-4)


def test_pretrained_init_with_another_prefix(tmp_path, timm_s):
    official = official_state_dict(timm_s)['state_dict']
    path = tmp_path / 'ema.pth'
    torch.save({f'ema.{k}': v for k, v in official.items()}, path)
    model = TNT(
        arch='s',
        out_type='featmap',
        init_cfg=dict(type='Pretrained', checkpoint=str(path), prefix='ema.'))
    model.init_weights()
    torch.testing.assert_close(model.patch_pos, official['outer_pos'])
    torch.testing.assert_close(model.blocks[5].mlp.fc2.weight,
                               official['blocks.5.outer_mlp.fc2.weight'])
    bad = TNT(
        arch='s',
        init_cfg=dict(type='Pretrained', checkpoint=str(path), prefix='ta.'))
    with pytest.raises(CheckpointFormatError) as err:
        bad.init_weights()
    assert str(err.value) == f"{path}: no key starts with prefix='ta.'."


def test_pretrained_init_refuses_weights_the_model_has_no_place_for(
        tmp_path, timm_s):
    """A full TNT-S into the paper's Table 5 hybrid with one inner transformer:
    the other 11 blocks' inner weights would be dropped without a word."""
    path = tmp_path / 'tnt_s.pth'
    torch.save(official_state_dict(timm_s), path)
    model = TNT(
        arch='s',
        inner_block_indices=(0, ),
        init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointFormatError) as err:
        model.init_weights()
    # timm's names of the inner transformer and words-to-sentence parts
    inner = re.compile(r'blocks\.([1-9]|1[01])\.(norm_in|attn_in|norm_mlp_in'
                       r'|mlp_in|norm1_proj|proj|norm2_proj)\.')
    dropped = sum(bool(inner.match(k)) for k in timm_s.state_dict())
    msg = str(err.value)
    assert msg.startswith(f'{path} does not fit the model: ')
    assert f"{dropped} unexpected (e.g. ['blocks.1." in msg
    assert 'inner_block_indices' in msg
    assert all(
        torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_download_keeps_the_name_without_query_into_an_existing_cache(
        served, timm_s):
    root, url = served
    state, _, _ = convert_checkpoint(official_state_dict(timm_s))
    torch.save({'state_dict': state}, root / 'tnt_s.pth')
    cache = torch.hub.get_dir() + '/checkpoints'
    import os
    os.makedirs(cache)
    first = read_checkpoint(url + 'tnt_s.pth?raw=true')
    # the lock every rank of a job takes before downloading stays beside it
    assert sorted(os.listdir(cache)) == ['tnt_s.pth', 'tnt_s.pth.lock']
    torch.testing.assert_close(first['state_dict'], state)


@pytest.mark.parametrize('empty', [{}, {'state_dict': {}}, [], None])
def test_a_file_without_weights_is_refused(empty):
    with pytest.raises(CheckpointFormatError) as err:
        convert_checkpoint(empty)
    assert str(err.value) == (
        'the file holds no state dict (expected a dict of tensors, '
        "or one under 'state_dict', 'model' or 'state_dict_ema').")


def test_whole_model_load_refuses_a_file_without_a_state_dict(tmp_path):
    path = tmp_path / 'list.pth'
    torch.save([torch.zeros(2)], path)
    with pytest.raises(CheckpointFormatError) as err:
        load_checkpoint(nn.Linear(2, 2), str(path))
    assert str(err.value) == f'{path}: the file holds no state dict.'


def test_whole_model_load_passes_map_location_to_torch(tmp_path):
    model = nn.Linear(2, 2)
    path = tmp_path / 'linear.pth'
    torch.save({'state_dict': model.state_dict()}, path)
    seen = []

    def to_cpu(storage, location):
        seen.append(location)
        return storage

    load_checkpoint(nn.Linear(2, 2), str(path), map_location=to_cpu)
    assert seen and set(seen) == {'cpu'}


def test_download_shows_progress(served, capfd):
    root, url = served
    torch.save({'state_dict': {'w': torch.zeros(256, 256)}}, root / 'w.pth')
    read_checkpoint(url + 'w.pth')
    assert '100%' in capfd.readouterr().err  # torch.hub's tqdm bar


def test_a_position_encoding_that_is_not_a_square_grid_is_refused(tmp_path):
    model = TNT(arch='ti')
    state = model.state_dict()
    state['patch_pos'] = torch.zeros(1, 1 + 14 * 15, 192)  # 14 x 15 patches
    path = tmp_path / 'oblong.pth'
    torch.save({'state_dict': {
        f'backbone.{k}': v
        for k, v in state.items()
    }}, path)
    with pytest.raises(CheckpointFormatError) as err:
        load_checkpoint(nn.ModuleDict({'backbone': model}), str(path))
    assert str(err.value) == (
        f'{path}: patch_pos of shape (1, 211, 192) is not a square grid; set '
        'img_size to the size the checkpoint was trained at.')


def test_detector_file_with_official_backbone_names_loads(tmp_path, timm_s):
    """A whole-model file whose backbone.* keys have the official names and
    whose other parts (here a neck) have their own: the backbone's pre-hook
    converts the names and nothing else is touched."""
    official = official_state_dict(timm_s)['state_dict']
    state = {
        f'backbone.{k}': v
        for k, v in official.items() if not k.startswith('head.')
    }
    state.update({'neck.weight': torch.ones(2, 2), 'neck.bias': torch.ones(2)})
    path = tmp_path / 'detector.pth'
    torch.save({'state_dict': state}, path)
    model = nn.Module()
    model.backbone = TNT(arch='s')
    model.neck = nn.Linear(2, 2)
    load_checkpoint(model, str(path))
    assert torch.equal(model.neck.weight, torch.ones(2, 2))
    torch.testing.assert_close(model.backbone.patch_pos, official['outer_pos'])


def test_a_refused_load_leaves_the_model_as_it_was(tmp_path, timm_s):
    """A head of another class count (the backbone would fit) and a backbone
    with weights missing: every load path refuses before writing one."""
    official = official_state_dict(timm_s)
    release = tmp_path / 'tnt_s.pth.tar'
    torch.save(official, release)
    partial = tmp_path / 'partial.pth'
    torch.save(
        {
            k: v
            for k, v in official['state_dict'].items() if 'blocks.11.' not in k
        }, partial)
    classifier = build_classifier('tnt-s_16xb64_in1k.py')
    classifier.head.fc = nn.Linear(384, 10)
    backbone = TNT(
        arch='s', init_cfg=dict(type='Pretrained', checkpoint=str(partial)))
    loads = {
        'load_checkpoint, other head':
        (classifier, lambda: load_checkpoint(classifier, str(release))),
        'check_fits, other head':
        (classifier, lambda: check_fits(classifier, str(release))),
        'Pretrained, weights missing': (backbone, backbone.init_weights),
        'load_checkpoint, weights missing':
        (backbone, lambda: load_checkpoint(backbone, str(partial))),
    }
    for name, (model, load) in loads.items():
        before = {k: v.clone() for k, v in model.state_dict().items()}
        with pytest.raises(CheckpointFormatError):
            load()
        after = model.state_dict()
        assert all(torch.equal(after[k], v) for k, v in before.items()), name
