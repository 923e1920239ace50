"""mmtnt as a package: the wheel carries configs, tools and the model index in
mmtnt/.mim and nothing else; installed without the checkout it serves `mmtnt::`
configs and `mim train`."""
import os
import os.path as osp
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile

import pytest

from tests.helpers import ROOT, digits_options

pytestmark = pytest.mark.slow  # end-to-end runs of the tools

READ_LAZY_CONFIG = '''
from mmengine.config import Config
from mmtnt.models import TNT
backbone = Config.fromfile('my_lazy.py').model.backbone
assert backbone.type is TNT and backbone.arch == 'ti', backbone
'''


def sh(args, **kwargs):
    proc = subprocess.run(
        args, capture_output=True, text=True, timeout=900, **kwargs)
    assert proc.returncode == 0, (
        f'{args}:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}')
    return proc


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    """An sdist of a copy of the checkout's files (as a fresh clone has them),
    and a wheel built from that sdist, as `python -m build` does."""
    src = tmp_path_factory.mktemp('src')
    files = sh(
        ['git', 'ls-files', '--cached', '--others', '--exclude-standard'],
        cwd=ROOT).stdout.split()
    for rel in files:
        if osp.isfile(osp.join(ROOT, rel)):
            os.makedirs(src / osp.dirname(rel), exist_ok=True)
            shutil.copy2(osp.join(ROOT, rel), src / rel)
    dist = tmp_path_factory.mktemp('dist')
    sh([sys.executable, 'setup.py', '-q', 'sdist', '-d', str(dist)], cwd=src)
    (sdist, ) = dist.glob('mmtnt-*.tar.gz')
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    assert any(
        n.endswith('mmtnt/.mim/configs/tnt/tnt-s_16xb64_in1k.py')
        for n in names)
    assert any(n.endswith('mmtnt/.mim/tools/train.py') for n in names)
    sh([
        sys.executable, '-m', 'pip', 'wheel', '--no-deps',
        '--no-build-isolation', '-q', '-w',
        str(dist),
        str(sdist)
    ])
    (path, ) = dist.glob('mmtnt-*.whl')
    return path


def test_wheel_holds_the_package_and_its_mim_resources_only(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split('/')[0] for n in names}
    assert tops == {
        'mmtnt', next(t for t in tops if t.endswith('.dist-info'))
    }, tops
    for needed in ('mmtnt/.mim/model-index.yml',
                   'mmtnt/.mim/configs/tnt/tnt-s_16xb64_in1k.py',
                   'mmtnt/.mim/configs/tnt/metafile.yml',
                   'mmtnt/.mim/tools/train.py',
                   'mmtnt/.mim/tools/dist_train.sh',
                   'mmtnt/.mim/configs/_base_/default_runtime.py',
                   'mmtnt/configs/tnt/tnt_s_16xb64_in1k.py',
                   'mmtnt/configs/_base_/default_runtime.py',
                   'mmtnt/ops/csrc/inner_transformer.cpp'):
        assert needed in names
    assert not any(
        '/tests/' in n or n.startswith('tests/') or '__pycache__' in n
        for n in names)


def test_installed_wheel_trains_an_inherited_config_without_the_checkout(
        wheel, digits_root, tmp_path):
    # A fresh environment that sees this one's packages (torch, mmcv, ...)
    # behind its own, so that installing the wheel with --no-deps reinstalls
    # nothing.
    env_dir = tmp_path / 'env'
    sh([sys._base_executable, '-m', 'venv', str(env_dir)])
    python = str(env_dir / 'bin' / 'python')
    site = sh([
        python, '-c',
        'import sysconfig; print(sysconfig.get_paths()["purelib"])'
    ]).stdout
    with open(osp.join(site.strip(), 'zz-stack.pth'), 'w') as f:
        f.write(sysconfig.get_paths()['purelib'] + '\n')
    sh([
        python, '-m', 'pip', 'install', '-q', '--no-deps', '--no-index',
        str(wheel)
    ])
    project = tmp_path / 'project'
    project.mkdir()
    (project / 'my_digits.py').write_text(
        "_base_ = 'mmtnt::tnt/tnt-mini-p8_1xb64-100e_digits.py'\n"
        'model = dict(backbone=dict(arch=dict(num_layers=1)))\n')
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    where = sh([python, '-c', 'import mmtnt; print(mmtnt.__file__)'],
               cwd=project,
               env=env)
    assert where.stdout.startswith(str(env_dir)), where.stdout
    # The lazy-import configs resolve from the installed package too.
    (project / 'my_lazy.py').write_text(
        'from mmengine.config import read_base\n'
        'with read_base():\n'
        '    from mmtnt.configs.tnt.tnt_ti_16xb64_in1k import *\n')
    sh([python, '-c', READ_LAZY_CONFIG], cwd=project, env=env)
    work = str(tmp_path / 'work')
    proc = sh(
        [
            python, '-m', 'mim', 'train', 'mmtnt', 'my_digits.py',
            '--work-dir', work
        ] + digits_options(digits_root, max_epochs=1),
        cwd=project,
        env=env)
    assert f'{env_dir}' in proc.stdout and '.mim/tools/train.py' in proc.stdout
    assert 'training finished at epoch 1' in proc.stdout
    assert osp.isfile(osp.join(work, 'epoch_1.pth'))
