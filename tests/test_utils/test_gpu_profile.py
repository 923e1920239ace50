"""mmtnt.utils.gpu_profile in this process, on the recorded nvidia-smi answers
that tests/test_project/test_gpu_profile.py gives tools/setup_env.sh."""
import os.path as osp

import pytest

from mmtnt.utils.gpu_profile import (PROFILES, Gpu, Machine, ProfileError,
                                     choose_profile, covers, read_machine)
from tests.helpers import ROOT

SMI = osp.join(ROOT, 'tests', 'data', 'nvidia_smi')


def machine(name, monkeypatch):
    monkeypatch.setenv('FAKE_NVIDIA_SMI', osp.join(SMI, name))
    return read_machine(osp.join(SMI, 'fake_nvidia_smi.sh'))


@pytest.mark.parametrize('name,profile,archs,why', [
    ('v100_r580', 'cu128', '7.0', 'GPU 0 (Tesla V100-SXM2-32GB) is sm_70, '
     'which torch 2.14.1 (CUDA 13.0) has no kernels for'),
    ('a100_r535', 'cu128', '8.0', 'driver 535.230.02 supports CUDA 12.2, '
     'older than torch 2.14.1 (CUDA 13.0) needs (R580)'),
    ('h100_r580', 'cu130', '9.0', 'every GPU has kernels in the newest build'),
    ('v100_a100_r580', 'cu128', '7.0;8.0', None),
    ('no_gpu', 'cpu', '', None),
])
def test_each_machine_gets_the_newest_build_that_covers_it(
        monkeypatch, name, profile, archs, why):
    chosen, arch_list, reason = choose_profile(machine(name, monkeypatch))
    assert chosen is PROFILES[profile]
    assert arch_list == archs
    if why:
        assert reason == why


def test_requested_profiles_and_arch_lists(monkeypatch):
    none = machine('no_gpu', monkeypatch)
    profile, archs, why = choose_profile(none, 'cu128', '7.0;8.0')
    assert (profile.name, archs) == ('cu128', '7.0;8.0')
    assert why == 'MMTNT_TORCH_PROFILE=cu128'
    assert choose_profile(none, ' cu130 ')[1] == '7.5;8.0;8.6;9.0;10.0;12.0'
    assert choose_profile(none, 'cpu')[1] == ''
    v100 = machine('v100_r580', monkeypatch)
    with pytest.raises(ProfileError, match='cu130: torch 2.14.1'):
        choose_profile(v100, 'cu130')
    with pytest.raises(ProfileError, match="has '4.0', which CUDA 12.8"):
        choose_profile(none, 'cu128', '4.0')
    with pytest.raises(ProfileError, match="has 'sm_80', which"):
        choose_profile(none, 'cu128', 'sm_80')
    with pytest.raises(ProfileError, match='cuda is not a profile'):
        choose_profile(none, 'cuda')


def test_an_old_driver_is_refused(monkeypatch):
    with pytest.raises(
            ProfileError,
            match='driver 470.256.02 supports CUDA '
            '11.4, older than every CUDA build'):
        choose_profile(machine('v100_r470', monkeypatch))


@pytest.mark.parametrize('cap,cu128,cu130', [('7.0', True, False),
                                             ('7.5', True, True),
                                             ('8.6', True, True),
                                             ('8.9', True, True),
                                             ('6.1', False, False)])
def test_a_build_for_x_y_runs_on_x_z_from_y_on(cap, cu128, cu130):
    assert covers(PROFILES['cu128'], cap) is cu128
    assert covers(PROFILES['cu130'], cap) is cu130


def test_a_gpu_older_than_sm70_or_without_a_capability_is_refused():
    pascal = Machine(
        (Gpu(0, 'Tesla V100', '7.0'), Gpu(1, 'Tesla P100', '6.0')),
        '580.95.05', (13, 0))
    with pytest.raises(
            ProfileError,
            match=r'GPU 1 \(Tesla P100\) is sm_60, '
            'older than any CUDA build'):
        choose_profile(pascal)
    unknown = Machine((Gpu(0, 'Some GPU'), ), '580.95.05', (13, 0))
    with pytest.raises(ProfileError, match='compute capability of GPU 0'):
        choose_profile(unknown)


def test_mmcv_without_cuda_ops_or_of_another_cuda_is_named(monkeypatch):
    import mmcv.ops
    import torch

    from mmtnt.utils.cuda_env import mmcv_cuda_problem
    monkeypatch.setattr(mmcv.ops, 'get_compiling_cuda_version',
                        lambda: 'not available')
    assert mmcv_cuda_problem().startswith(
        'mmcv was compiled without CUDA ops on a GPU machine')
    monkeypatch.setattr(torch.version, 'cuda', '13.0')
    monkeypatch.setattr(mmcv.ops, 'get_compiling_cuda_version', lambda: '12.8')
    assert mmcv_cuda_problem() == ('mmcv was compiled with CUDA 12.8, torch '
                                   'with CUDA 13.0; rebuild mmcv '
                                   '(tools/setup_env.sh)')
    monkeypatch.setattr(mmcv.ops, 'get_compiling_cuda_version', lambda: '13.0')
    assert mmcv_cuda_problem() is None
