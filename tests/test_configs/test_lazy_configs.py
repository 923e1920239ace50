"""mmtnt/configs/ (mmengine's lazy-import format, for other toolboxes' tools)
say what configs/ says: every setting the runner reads is equal, value for
value, with each type the same class."""
import inspect
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.config.lazy import LazyObject
from mmengine.registry import DefaultScope

from tests.helpers import ROOT

PAIRS = {
    'tnt/tnt_s_16xb64_in1k.py': 'tnt/tnt-s_16xb64_in1k.py',
    'tnt/tnt_ti_16xb64_in1k.py': 'tnt/tnt-ti_16xb64_in1k.py',
    'tnt/tnt_b_16xb64_in1k.py': 'tnt/tnt-b_16xb64_in1k.py',
}
# Names configs/ uses to say a thing once (helpers, not settings).
HELPERS = {
    'mmtnt_hooks', 'tnt_s_release', 'tnt_no_decay', 'rand_augment',
    'random_erasing'
}


def type_name(value):
    """The name a type goes by in either format: ``'mmtnt.TNT'``,
    ``TNT`` (imported) and ``LazyObject('mmtnt.models', 'TNT')`` are all
    ``'TNT'``."""
    if isinstance(value, LazyObject):
        value = value.build()
    if inspect.isclass(value) or inspect.isfunction(value):
        return value.__name__
    return value.rpartition('.')[2]


def plain(value):
    """A config value with its types (``type``, ``dataset_type``) named by
    :func:`type_name` and mmengine's ``_scope_`` marks left out."""
    if isinstance(value, dict):
        return {
            key: type_name(item) if key.endswith('type') else plain(item)
            for key, item in value.items() if key != '_scope_'
        }
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, LazyObject) or inspect.isclass(value):
        return type_name(value)
    return value


@pytest.mark.parametrize('lazy', sorted(PAIRS))
def test_lazy_config_says_what_the_config_says(lazy):
    ours = Config.fromfile(osp.join(ROOT, 'mmtnt', 'configs',
                                    lazy)).to_dict()  # imports left out
    theirs = Config.fromfile(osp.join(ROOT, 'configs', PAIRS[lazy]))
    assert set(ours) == set(theirs) - HELPERS
    for key in ours:
        assert plain({key: ours[key]}) == plain({key: theirs[key]}), key


def test_lazy_types_are_the_classes_the_registries_build():
    """The model's types are the classes configs/'s registry names stand for:
    ``'mmtnt.TNT'`` is mmtnt's TNT, not mmpretrain's class of the same name,
    which the comparison by name cannot tell apart."""
    from mmpretrain.registry import MODELS
    ours = Config.fromfile(
        osp.join(ROOT, 'mmtnt', 'configs', 'tnt', 'tnt_s_16xb64_in1k.py'))
    theirs = Config.fromfile(
        osp.join(ROOT, 'configs', 'tnt', 'tnt-s_16xb64_in1k.py'))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        for part in ('backbone', 'head'):
            wanted = MODELS.get(theirs.model[part]['type'])
            assert ours.model[part]['type'] is wanted, part
        assert ours.model['type'] is MODELS.get(theirs.model['type'])
