"""mmtnt/configs/ (mmengine's lazy-import format, for other toolboxes' tools)
say what configs/ says: every setting the runner reads is equal, value for
value, with each type the same class."""
import os.path as osp

import pytest
from mmengine.config import Config
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


def plain(value):
    """A config value with each type (``type``, ``dataset_type``) named by
    its last dotted part (``'mmtnt.TNT'`` and the lazy config's
    ``'mmtnt.models.TNT'`` are both ``'TNT'``) and mmengine's ``_scope_``
    marks left out."""
    if isinstance(value, dict):
        return {
            key:
            item.rpartition('.')[2] if key.endswith('type') else plain(item)
            for key, item in value.items() if key != '_scope_'
        }
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


@pytest.mark.parametrize('lazy', sorted(PAIRS))
def test_lazy_config_says_what_the_config_says(lazy):
    # to_dict(): imported names left out, each type as its dotted name
    ours = Config.fromfile(osp.join(ROOT, 'mmtnt', 'configs', lazy)).to_dict()
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
