"""Importing mmtnt changes nothing in other libraries: mmengine's backends,
checkpoint loaders and registries, torch, matplotlib. (It adds: its own
registry scope, the `mmtnt::` config scope, the `mmtnt_atomic` file backend
and, with `mmtnt.models`, the torch custom ops `mmtnt::inner_transformer*` of
the fused kernel, each under a name of its own.)"""
import json
import subprocess
import sys

SNAPSHOT = r'''
import json, sys
import matplotlib, mmengine, torch
import mmengine.fileio.backends.registry_utils as backends
from mmengine.registry import root
from mmengine.runner.checkpoint import CheckpointLoader
from mmengine.config.utils import MODULE2PACKAGE

def snapshot():
    registries = {name: (sorted(reg._module_dict), sorted(reg._children))
                  for name, reg in vars(root).items() if type(reg).__name__ == 'Registry'}
    return dict(
        backends={k: v.__qualname__ for k, v in backends.backends.items()},
        prefixes={k: v.__qualname__ for k, v in backends.prefix_to_backends.items()},
        loaders={k: v.__qualname__ for k, v in CheckpointLoader._schemes.items()},
        registries=registries, packages=dict(MODULE2PACKAGE),
        set_device=repr(torch.cuda.set_device), safe_globals=repr(torch.serialization.get_safe_globals()),
        default_dtype=str(torch.get_default_dtype()), threads=torch.get_num_threads(),
        backend=matplotlib.rcParams._get_backend_or_none(), pyplot='matplotlib.pyplot' in sys.modules)

# The libraries mmtnt builds on register their own modules when imported; import them first so
# that what changes after is mmtnt's doing.
import mmcv.transforms, mmpretrain.apis, mmpretrain.models, mmdet.models, mmseg.models  # noqa
before = snapshot()
import mmtnt
import mmtnt.apis, mmtnt.datasets, mmtnt.models, mmtnt.utils, mmtnt.visualization  # noqa
after = snapshot()
print(json.dumps([before, after]))
'''


def test_import_leaves_other_libraries_as_they_were():
    proc = subprocess.run([sys.executable, '-c', SNAPSHOT],
                          capture_output=True,
                          text=True,
                          check=True)
    before, after = json.loads(proc.stdout.strip().splitlines()[-1])
    assert after['backends'] == dict(
        before['backends'], mmtnt_atomic='AtomicLocalBackend')
    assert after['packages'] == dict(before['packages'], mmtnt='mmtnt.version')
    for key in ('prefixes', 'loaders', 'set_device', 'safe_globals',
                'default_dtype', 'threads', 'backend'):
        assert after[key] == before[key], key
    for name, (modules, children) in before['registries'].items():
        assert after['registries'][name][
            0] == modules, name  # nothing added to mmengine's own
        assert set(after['registries'][name][1]) - set(children) <= {'mmtnt'
                                                                     }, name
    assert 'mmtnt' in after['registries']['MODELS'][1]
