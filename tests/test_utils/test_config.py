"""mmtnt.utils.load_config: package scopes (mmtnt:: included) and one-line
errors.
"""
import subprocess
import sys

import pytest

from mmtnt.utils import ConfigError, load_config
from tests.helpers import ROOT


def test_mmtnt_scope_inherits_and_builds_in_the_task_scope(tmp_path):
    child = tmp_path / 'child.py'
    child.write_text("_base_ = 'mmtnt::tnt/tnt-s_16xb64_in1k.py'\n"
                     "model = dict(backbone=dict(arch='ti'))\n")
    cfg = load_config(str(child))
    assert cfg.model.backbone.arch == 'ti'
    assert cfg.model.head.type == 'mmtnt.TNTClsHead'
    # mmengine marks what comes through `mmtnt::` with _scope_='mmtnt'; mmtnt's
    # configs are mmpretrain/mmdet/mmseg configs, so no such mark may stay (it
    # would send ImageClassifier to mmtnt's registry).
    assert "'_scope_'" not in str(cfg.to_dict())
    from mmengine.registry import MODELS, DefaultScope
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        assert type(MODELS.build(cfg.model)).__name__ == 'ImageClassifier'


def test_missing_package_config_names_the_config_folder(tmp_path):
    child = tmp_path / 'child.py'
    child.write_text("_base_ = 'mmdet::faster_rcnn/no-such-config.py'\n")
    with pytest.raises(ConfigError) as err:
        load_config(str(child))
    message = str(err.value)
    assert message.startswith(f'{child}: a _base_ config is missing')
    assert "The package's configs are in " in message and message.rstrip(
        '.').endswith('mmdet/.mim/configs')


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
