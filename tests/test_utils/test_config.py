"""mmtnt.utils.load_config and mmengine's Config.fromfile: package scopes
(mmtnt:: included) and one-line errors."""
import subprocess
import sys

import pytest

from mmtnt.utils import ConfigError, load_config
from tests.helpers import ROOT


def outer_typed_dicts(node, found):
    """The dicts with a ``type`` that no such dict holds (what mmengine marks
    with ``_scope_`` when a config is inherited through ``pkg::``)."""
    if isinstance(node, dict):
        if 'type' in node:
            found.append(node)
            return found
        for value in node.values():
            outer_typed_dicts(value, found)
    elif isinstance(node, (list, tuple)):
        for value in node:
            outer_typed_dicts(value, found)
    return found


@pytest.mark.parametrize('base, task', [
    ('tnt/tnt-s_16xb64_in1k.py', 'mmpretrain'),
    ('tnt/transfer/tnt-s_8xb64-64e_cifar10-384px.py', 'mmpretrain'),
    ('trans2seg/trans2seg_tnt-s_8xb2-40k_ade20k-512x512.py', 'mmseg'),
])
def test_mmtnt_scope_configs_build_from_config_fromfile(tmp_path, base, task):
    """mmengine marks what comes through `mmtnt::` with _scope_='mmtnt' unless
    a dict names its scope: mmtnt's configs name the toolbox's, so the model
    builds from any default scope and every other object marked 'mmtnt' is
    mmtnt's or mmengine's own."""
    from mmengine import registry
    from mmengine.config import Config
    child = tmp_path / 'child.py'
    child.write_text(f"_base_ = 'mmtnt::{base}'\n")
    cfg = Config.fromfile(str(child))  # mmtnt is imported: the scope is known
    assert cfg.model._scope_ == task
    with registry.DefaultScope.overwrite_default_scope('mmtnt'):
        model = registry.MODELS.build(cfg.model)
    assert type(model.backbone).__name__ == 'TNT'
    roots = [
        getattr(registry, name) for name in dir(registry)
        if isinstance(getattr(registry, name), registry.Registry)
    ]
    for node in outer_typed_dicts(cfg.to_dict(), []):
        if node.get('_scope_') == 'mmtnt':
            kind = node['type']
            assert kind.startswith('mmtnt.') or any(
                root.get(kind) is not None for root in roots), node


def test_load_config_leaves_scopes_to_mmengine_but_a_collate_fn(tmp_path):
    child = tmp_path / 'child.py'
    child.write_text("_base_ = 'mmtnt::tnt/tnt-s_16xb64_in1k.py'\n"
                     "model = dict(backbone=dict(arch='ti'))\n")
    cfg = load_config(str(child))
    assert cfg.model.backbone.arch == 'ti'
    assert cfg.model._scope_ == 'mmpretrain'
    assert cfg.param_scheduler[0]._scope_ == 'mmtnt'
    # mmengine 0.10's Runner would pass it on to default_collate
    assert '_scope_' not in cfg.train_dataloader.collate_fn


def test_missing_package_config_names_the_config_folder(tmp_path):
    child = tmp_path / 'child.py'
    child.write_text("_base_ = 'mmdet::faster_rcnn/no-such-config.py'\n")
    with pytest.raises(ConfigError) as err:
        load_config(str(child))
    message = str(err.value)
    assert message.startswith(f'{child}: a _base_ config is missing')
    assert "The package's configs are in " in message and message.rstrip(
        '.').endswith('mmdet/.mim/configs')


def test_lazy_config_reads_and_a_missing_lazy_base_is_named(tmp_path):
    child = tmp_path / 'child.py'
    child.write_text(
        'from mmengine.config import read_base\n'
        'with read_base():\n'
        '    from mmtnt.configs.tnt.tnt_ti_16xb64_in1k import *\n')
    assert load_config(str(child)).model.backbone.arch == 'ti'
    child.write_text(child.read_text().replace('_ti_', '_tiny_'))
    with pytest.raises(ConfigError) as err:
        load_config(str(child))
    assert str(err.value).startswith(f'{child}: ')
    assert 'mmtnt/configs/tnt/tnt_tiny_16xb64_in1k.py not found' in str(
        err.value)


def test_unknown_package_scope_lists_the_known_ones(tmp_path):
    child = tmp_path / 'child.py'
    child.write_text("_base_ = 'mmfoo::bar/baz.py'\n")
    with pytest.raises(
            ConfigError, match='Known package scopes: .*mmdet::.*mmtnt::'):
        load_config(str(child))


def test_missing_pkg_resources_says_which_setuptools(tmp_path):
    child = tmp_path / 'child.py'
    child.write_text(
        "_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'\n")
    code = (
        # as with setuptools>=82
        'import sys; sys.modules["pkg_resources"] = None\n'
        'from mmtnt.utils import load_config\n'
        f'load_config({str(child)!r})\n')
    proc = subprocess.run([sys.executable, '-c', code],
                          cwd=ROOT,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 1
    assert ('setuptools>=82 removed it). Install setuptools>=77,<82'
            in proc.stderr)


def test_missing_config_file():
    with pytest.raises(
            ConfigError, match="config file 'nope.py' does not exist"):
        load_config('nope.py')
    # installed (here: editable), the message points at the package's configs
    with pytest.raises(ConfigError, match=r"under .*/mmtnt/\.mim/configs\)"):
        load_config('nope.py')
