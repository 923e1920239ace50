"""init_cfg=dict(type='Pretrained', ...) as detectors and segmentors use it on
the backbone.

mmengine's own PretrainedInit keeps only keys starting with the prefix; mmtnt's
TNT reads every released format with prefix='backbone.' or None, and refuses a
wrong one with a clear error.
"""
import pytest
import torch

from mmtnt.checkpoint import CheckpointFormatError
from mmtnt.models import TNT
from tests.helpers.reference_checkpoints import (mmpretrain_checkpoint,
                                                 mmpretrain_classifier,
                                                 official_state_dict,
                                                 timm_model)


def pretrained(path, prefix='backbone.', **kwargs):
    model = TNT(
        arch='s',
        out_indices=(2, 11),
        out_type='featmap',
        init_cfg=dict(type='Pretrained', checkpoint=str(path), prefix=prefix),
        **kwargs)
    model.init_weights()
    return model.eval()


@pytest.fixture(scope='module')
def timm_s():
    return timm_model('tnt_s_patch16_224')


@pytest.mark.parametrize('prefix', ['backbone.', None])
def test_official_release_loads_with_or_without_prefix(tmp_path, timm_s,
                                                       prefix):
    path = tmp_path / 'tnt_s_81.5.pth.tar'
    torch.save(official_state_dict(timm_s), path)
    model = pretrained(path, prefix)
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        ref = timm_s.forward_features(x)[:, 1:].transpose(1, 2).reshape(
            1, 384, 14, 14)
        torch.testing.assert_close(model(x)[1], ref, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize('prefix', ['backbone.', None])
def test_mmpretrain_release_loads_into_legacy_layout(tmp_path, prefix):
    classifier = mmpretrain_classifier()
    path = tmp_path / 'tnt-small-p16_3rdparty_in1k.pth'
    torch.save(mmpretrain_checkpoint(classifier), path)
    model = pretrained(path, prefix, layout='legacy')
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        ref = classifier.backbone(x)[
            0]  # mmpretrain returns the normed class token
        out = TNT(arch='s', layout='legacy', out_type='cls_token').eval()
        out.load_state_dict(model.state_dict())
        torch.testing.assert_close(out(x)[0], ref, atol=1e-4, rtol=1e-4)


def test_wrong_layout_is_refused_naming_both(tmp_path):
    path = tmp_path / 'mmpretrain.pth'
    torch.save(mmpretrain_checkpoint(mmpretrain_classifier()), path)
    with pytest.raises(
            CheckpointFormatError,
            match="'legacy' TNT layout.*layout='official'"):
        pretrained(path)


def test_not_a_tnt_checkpoint_names_the_file(tmp_path):
    path = tmp_path / 'resnet.pth'
    torch.save({'state_dict': {'conv1.weight': torch.zeros(1)}}, path)
    with pytest.raises(CheckpointFormatError, match='resnet.pth'):
        pretrained(path)
