"""A TNT-S checkpoint is refused by a TNT-Ti or TNT-B model on every load path,
before any weight is set (mmengine's own loader would only warn)."""
import pytest
import torch
from mmengine.runner import load_checkpoint as mmengine_load_checkpoint

from mmtnt.apis import get_model
from mmtnt.checkpoint import (CheckpointFormatError, checkpoint_types_allowed,
                              convert_checkpoint, load_checkpoint)
from mmtnt.models import TNT
from tests.helpers import ROOT, build_classifier
from tests.helpers.reference_checkpoints import official_state_dict, timm_model

CONFIGS = {'ti': 'tnt-ti_16xb64_in1k.py', 'b': 'tnt-b_16xb64_in1k.py'}


@pytest.fixture(scope='module')
def tnt_s(tmp_path_factory):
    """TNT-S in the official release format and as an mmtnt checkpoint."""
    root = tmp_path_factory.mktemp('tnt_s')
    ref = timm_model('tnt_s_patch16_224')
    official = official_state_dict(ref)
    torch.save(official, root / 'tnt_s_official.pth.tar')
    state, _, _ = convert_checkpoint(official)
    torch.save({'state_dict': state}, root / 'tnt_s_mmtnt.pth')
    return {
        'official': str(root / 'tnt_s_official.pth.tar'),
        'mmtnt': str(root / 'tnt_s_mmtnt.pth'),
        'state': state
    }


def unchanged(model, before):
    return all(
        torch.equal(v, before[k]) for k, v in model.state_dict().items())


@pytest.mark.parametrize('arch', ['ti', 'b'])
def test_every_load_path_refuses_another_size(arch, tnt_s):
    model = build_classifier(CONFIGS[arch])
    before = {k: v.clone() for k, v in model.state_dict().items()}
    paths = {
        'nn.Module.load_state_dict':
        lambda: model.load_state_dict(tnt_s['state']),
        'mmtnt.checkpoint.load_checkpoint':
        lambda: load_checkpoint(model, tnt_s['official']),
        'mmengine load_checkpoint (load_from, tools/test.py)':
        lambda: mmengine_load_checkpoint(model, tnt_s['mmtnt']),
        'get_model(pretrained=)':
        lambda: get_model(
            f'{ROOT}/configs/tnt/{CONFIGS[arch]}',
            pretrained=tnt_s['official']),
    }
    for name, load in paths.items():
        with pytest.raises(CheckpointFormatError) as err, \
                checkpoint_types_allowed():
            load()
        assert 'another TNT size' in str(err.value), name
        assert 'sentence width is 384' in str(err.value), name
        assert str(err.value).endswith(
            'Build the arch the checkpoint was trained with (Ti 192, S 384, '
            'B 640).'), name
        assert unchanged(model, before), name


@pytest.mark.parametrize('arch', ['ti', 'b'])
def test_pretrained_init_refuses_another_size(arch, tnt_s):
    backbone = TNT(
        arch=arch,
        init_cfg=dict(type='Pretrained', checkpoint=tnt_s['official']))
    with pytest.raises(CheckpointFormatError, match='another TNT size'):
        backbone.init_weights()
