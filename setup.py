import os
import os.path as osp
import shutil
import sys
from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))
# What mmengine (`mmtnt::` configs) and mim (`mim train mmtnt ...`) read from
# mmtnt/.mim.
MIM_FILES = ('configs', 'tools', 'model-index.yml')


def read_version():
    scope = {}
    with open(osp.join(HERE, 'mmtnt', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def read_requirements(name):
    path = osp.join(HERE, 'requirements', name)
    with open(path) as f:
        return [
            line.split('#')[0].strip() for line in f
            if line.split('#')[0].strip()
        ]


def add_mim_extension():
    """Fill mmtnt/.mim with the configs, tools and model index, as mmpretrain's
    setup.py does.

    An editable install links them (the checkout is the package); a wheel or
    sdist copies them. setuptools' PEP 660 editable install runs
    ``editable_wheel``, not ``develop``, so both count.
    """
    if {'develop', 'editable_wheel'} & set(sys.argv):
        mode = 'symlink'
    elif {'sdist', 'bdist_wheel', 'build', 'build_py', 'install'} & set(
            sys.argv):
        mode = 'copy'
    else:
        return
    mim_dir = osp.join(HERE, 'mmtnt', '.mim')
    os.makedirs(mim_dir, exist_ok=True)
    for name in MIM_FILES:
        src, dst = osp.join(HERE, name), osp.join(mim_dir, name)
        if not osp.exists(src):
            # building a wheel from an sdist: .mim already holds the copies
            continue
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_dir), dst)
        elif osp.isdir(src):
            shutil.copytree(
                src,
                dst,
                ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        else:
            shutil.copyfile(src, dst)


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmtnt',
        version=read_version(),
        description=('Transformer in Transformer (TNT) for classification, '
                     'detection and segmentation on the OpenMMLab 2.x stack'),
        long_description=open(osp.join(HERE, 'README.md')).read(),
        long_description_content_type='text/markdown',
        packages=find_packages(include=('mmtnt', 'mmtnt.*')),
        include_package_data=True,
        python_requires='>=3.10',
        # torch and mmcv are left to tools/setup_env.sh: mmcv must be compiled
        # against the exact torch in the environment, which pip cannot express.
        install_requires=read_requirements('runtime.txt'),
        extras_require={
            'tests': read_requirements('tests.txt'),
            'optional': read_requirements('optional.txt'),
            'mim': read_requirements('mim.txt'),
        },
        zip_safe=False,
    )
