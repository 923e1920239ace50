"""How mmtnt.ops builds its C++ extension, without compiling it again: torch's
``cpp_extension.load`` is replaced by a recorder that returns the extension
this process already loaded, so the test sees what the build is asked for and
what the cache folder holds afterwards."""
import logging
import os.path as osp

import pytest
import torch
import torch.utils.cpp_extension as cpp_extension

from mmtnt.ops import inner_transformer as ops


@pytest.fixture
def recorded_build(tmp_path, monkeypatch):
    built = ops.load_extension()  # the cached build: no compiler runs here
    calls = []

    def load(name, sources, **kwargs):
        calls.append(dict(name=name, sources=sources, **kwargs))
        return built

    monkeypatch.setattr(cpp_extension, 'load', load)
    monkeypatch.setenv('MMTNT_OPS_DIR', str(tmp_path))
    return built, calls


def test_a_fresh_cache_builds_once_with_this_cpus_flags(
        recorded_build, tmp_path):
    built, calls = recorded_build
    level = logging.getLogger('torch.utils.cpp_extension').level
    flags = ops._compile_flags()
    name, build_dir = ops._build_dir(flags)
    assert ops.load_extension() is built
    assert len(calls) == 1
    call = calls[0]
    assert call['name'] == name and name.startswith('mmtnt_inner_')
    assert call['sources'] == [ops._SOURCE]
    assert call['extra_cflags'] == flags
    assert call['extra_ldflags'] == ['-fopenmp']
    assert call['build_directory'] == build_dir
    assert osp.dirname(build_dir) == str(tmp_path)
    assert call['verbose'] is False
    # the CUDA warning of cpp_extension's import is held back, then the
    # logger is left as it was
    assert logging.getLogger('torch.utils.cpp_extension').level == level
    assert osp.isfile(osp.join(build_dir, 'BUILT'))


def test_flags_name_the_cpu_and_key_the_cache(monkeypatch):
    flags = ops._compile_flags()
    assert flags[:3] == ['-O3', '-fopenmp', '-ffp-contract=fast']
    cap = torch.backends.cpu.get_cpu_capability()
    if cap == 'AVX512':
        assert flags[3:] == ['-march=x86-64-v4', '-mprefer-vector-width=512']
    elif cap == 'AVX2':
        assert flags[3:] == ['-march=x86-64-v3']
    name, folder = ops._build_dir(flags)
    key = name[len('mmtnt_inner_'):]
    assert len(key) == 12 and folder.endswith(f'inner_transformer-{key}')
    assert ops._build_dir(flags + ['-g'])[0] != name
    monkeypatch.delenv('MMTNT_OPS_DIR', raising=False)
    assert ops._build_dir(flags)[1] == osp.join(
        osp.expanduser('~'), '.cache', 'mmtnt', 'ops',
        f'inner_transformer-{key}')
