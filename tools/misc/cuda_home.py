"""Lay out a CUDA_HOME of links to the registry's nvidia-* wheels, the layout
torch's extension builder expects (bin/nvcc, include/, lib64/).

    python tools/misc/cuda_home.py CUDA_HOME BUILD_SITE [TARGET_SITE ...]

BUILD_SITE holds nvcc, the runtime headers and CCCL (requirements/
cuda-X.Y-build.txt); each TARGET_SITE (torch's environment) adds the
libraries' headers (cuBLAS, cuSPARSE, cuSOLVER, ...). Earlier sites win where
two hold the same name. tools/build_mmcv.sh runs it; nothing is copied.
"""
import glob
import os
import os.path as osp
import shutil
import sys


def package_dirs(site, sub):
    """``nvidia/<package>/<sub>`` folders of a site-packages (CUDA 12 wheels:
    one package a folder; CUDA 13 wheels: all in ``nvidia/cu13``)."""
    return sorted(glob.glob(osp.join(site, 'nvidia', '*', sub)))


def link_entries(sources, dest):
    os.makedirs(dest, exist_ok=True)
    for source in sources:
        for name in sorted(os.listdir(source)):
            target = osp.join(dest, name)
            if not osp.lexists(target):
                os.symlink(osp.join(source, name), target)


def main(home, build_site, *target_sites):
    nvcc = glob.glob(osp.join(build_site, 'nvidia', '*', 'bin', 'nvcc'))
    if not nvcc:
        raise SystemExit(
            f'cuda_home: no nvidia/*/bin/nvcc in {build_site}; install requirements/cuda-X.Y-build.txt there.'  # noqa: E501
        )
    top = osp.dirname(osp.dirname(nvcc[0]))
    shutil.rmtree(home, ignore_errors=True)
    os.makedirs(home)
    for sub in ('bin', 'nvvm'):
        if osp.isdir(osp.join(top, sub)):
            os.symlink(osp.join(top, sub), osp.join(home, sub))
    sites = (build_site, ) + target_sites
    link_entries([d for s in sites for d in package_dirs(s, 'include')],
                 osp.join(home, 'include'))
    lib64 = osp.join(home, 'lib64')
    link_entries([d for s in sites for d in package_dirs(s, 'lib')], lib64)
    # The wheels ship libcudart.so.N only; the linker looks for libcudart.so.
    for versioned in glob.glob(osp.join(lib64, 'lib*.so.*')):
        plain = versioned[:versioned.index('.so.') + 3]
        if not osp.lexists(plain):
            os.symlink(osp.basename(versioned), plain)
    print(f'cuda_home: {home} (nvcc from {top})')


if __name__ == '__main__':
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
