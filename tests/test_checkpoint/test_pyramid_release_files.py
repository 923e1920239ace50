"""Official PyramidTNT files (written from the documented layout) load strictly
through every path a TNT release loads through, and a file missing one
tensor, or of another variant, is refused on each with one line."""
import os.path as osp

import pytest
import torch

from mmtnt.apis import get_model
from mmtnt.checkpoint import CheckpointFormatError
from mmtnt.models import PyramidTNT
from tests.helpers import run_tool
from tests.helpers.pyramid_release import official_pyramid_state_dict

TI_CONFIG = 'configs/pyramid_tnt/pyramid-tnt-ti_8xb128_in1k.py'
MISSING = 'stages.2.blocks.0.inner_mlp.fc1.weight'


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp('pyramid_releases')
    ti = official_pyramid_state_dict('ti')
    torch.save(ti, root / 'ptnt_ti_75.2.pth.tar')
    torch.save({
        k: v
        for k, v in ti.items() if k != MISSING
    }, root / 'missing.pth')
    torch.save(official_pyramid_state_dict('s'), root / 'ptnt_s_82.0.pth.tar')
    return dict(
        ti=str(root / 'ptnt_ti_75.2.pth.tar'),
        missing=str(root / 'missing.pth'),
        s=str(root / 'ptnt_s_82.0.pth.tar'),
        state=ti)


def test_get_model_loads_every_tensor(files):
    model = get_model('pyramid-tnt-ti_official_in1k', pretrained=files['ti'])
    state = model.state_dict()
    for key, value in files['state'].items():
        ours = ('head.fc.' +
                key[5:] if key.startswith('head.') else 'backbone.' + key)
        assert torch.equal(state[ours], value), key


@pytest.mark.parametrize('bad,fact', [('missing', MISSING),
                                      ('s', 'another variant')])
def test_get_model_refuses_and_keeps_nothing(files, bad, fact):
    with pytest.raises(CheckpointFormatError) as err:
        get_model('pyramid-tnt-ti_official_in1k', pretrained=files[bad])
    assert files[bad] in str(err.value) and fact in str(err.value)
    assert '\n' not in str(err.value)


def test_pretrained_init_loads_and_refuses(files):

    def init(path):
        backbone = PyramidTNT(
            arch='ti',
            init_cfg=dict(
                type='Pretrained', checkpoint=path, prefix='backbone.'))
        backbone.init_weights()
        return backbone

    loaded = init(files['ti'])
    assert torch.equal(loaded.stages[1].relative_pos,
                       files['state']['stages.1.relative_pos'])
    for bad, fact in (('missing', MISSING), ('s', 'another variant')):
        with pytest.raises(CheckpointFormatError, match=fact):
            init(files[bad])


def test_converter_output_gives_the_same_logits(files, tmp_path):
    out = str(tmp_path / 'ptnt_ti_mmtnt.pth')
    proc = run_tool(
        ['tools/model_converters/tnt_to_mmtnt.py', files['ti'], out])
    assert 'pyramid_tnt format' in proc.stdout
    direct = get_model('pyramid-tnt-ti_official_in1k', pretrained=files['ti'])
    converted = get_model('pyramid-tnt-ti_official_in1k', pretrained=out)
    x = torch.randn(2, 3, 192, 192)
    with torch.no_grad():
        torch.testing.assert_close(
            converted(x, mode='tensor'), direct(x, mode='tensor'))


def test_converter_refuses_an_incomplete_file(files, tmp_path):
    proc = run_tool([
        'tools/model_converters/tnt_to_mmtnt.py', files['missing'],
        str(tmp_path / 'out.pth')
    ],
                    check=False)
    assert proc.returncode != 0
    assert MISSING in proc.stderr and files['missing'] in proc.stderr
    assert not osp.exists(tmp_path / 'out.pth')


@pytest.mark.slow
def test_tools_test_converts_an_official_file_and_refuses_bad_ones(
        files, tiny_imagenet, tmp_path):
    opts = [
        f'{loader}.{key}' for loader in ('val_dataloader', 'test_dataloader')
        for key in (f'dataset.data_root={tiny_imagenet}', 'num_workers=0',
                    'persistent_workers=False', 'batch_size=2')
    ]
    work = str(tmp_path / 'work')
    proc = run_tool([
        'tools/test.py', TI_CONFIG, files['ti'], '--work-dir', work,
        '--cfg-options'
    ] + opts)
    assert 'accuracy/top1' in proc.stdout + proc.stderr
    converted = osp.join(work, 'converted', 'ptnt_ti_75.2.pth.tar.mmtnt.pth')
    assert torch.load(converted)['meta']['source_format'] == 'pyramid_tnt'
    for bad, fact in (('missing', MISSING), ('s', 'another variant')):
        proc = run_tool(
            [
                'tools/test.py', TI_CONFIG, files[bad], '--work-dir', work,
                '--cfg-options'
            ] + opts,
            check=False)
        assert proc.returncode != 0, bad
        assert fact in proc.stderr and 'accuracy/top1' not in proc.stdout
