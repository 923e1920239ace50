"""tools/setup_env.sh --dry-run on recorded nvidia-smi answers: the torch
profile each machine gets, or the one-line refusal."""
import os
import os.path as osp
import subprocess
import sys

import pytest

from tests.helpers import ROOT

SMI = osp.join(ROOT, 'tests', 'data', 'nvidia_smi')


def fake_gpus(tmp_path, machine):
    """PATH and variables under which ``nvidia-smi`` answers as recorded on
    ``machine`` (a folder of tests/data/nvidia_smi)."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir(exist_ok=True)
    link = bin_dir / 'nvidia-smi'
    if not link.exists():
        link.symlink_to(osp.join(SMI, 'fake_nvidia_smi.sh'))
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ('MMTNT_TORCH_PROFILE', 'TORCH_CUDA_ARCH_LIST')
    }
    env.update(
        PATH=f'{bin_dir}:{os.environ["PATH"]}',
        FAKE_NVIDIA_SMI=osp.join(SMI, machine))
    return env


def dry_run(tmp_path, machine, **variables):
    env = fake_gpus(tmp_path, machine)
    env.update(variables, VENV=str(tmp_path / 'venv'))
    if 'MUTANT_UNDER_TEST' in os.environ:
        # make mutation: the mutated gpu_profile.py imports mutmut, which only
        # this interpreter has (the set-up's default is the system python3).
        env['PYTHON_FOR_VENV'] = sys.executable
    proc = subprocess.run(['bash', 'tools/setup_env.sh', '--dry-run'],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert not (tmp_path / 'venv').exists()  # nothing was installed
    return proc


def profile_lines(proc):
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return dict(line[len('[setup] '):].split(': ', 1)
                for line in proc.stdout.splitlines())


@pytest.mark.parametrize('machine, profile, torch, archs, found', [
    ('v100_r580', 'cu128', 'torch==2.10.0 torchvision==0.25.0', '7.0',
     'GPU 0 Tesla V100-SXM2-32GB (sm_70), GPU 1 Tesla V100-SXM2-32GB '
     '(sm_70); driver 580.95.05 (CUDA 13.0)'),
    ('a100_r535', 'cu128', 'torch==2.10.0 torchvision==0.25.0', '8.0',
     'GPU 0 NVIDIA A100-SXM4-80GB (sm_80); driver 535.230.02 (CUDA 12.2)'),
    ('h100_r580', 'cu130', 'torch==2.14.1 torchvision==0.29.1', '9.0',
     'GPU 0 NVIDIA H100 80GB HBM3 (sm_90); driver 580.95.05 (CUDA 13.0)'),
    ('v100_a100_r580', 'cu128', 'torch==2.10.0 torchvision==0.25.0', '7.0;8.0',
     'GPU 0 Tesla V100-SXM2-32GB (sm_70), GPU 1 NVIDIA '
     'A100-SXM4-80GB (sm_80); driver 580.95.05 (CUDA 13.0)'),
])
def test_gpu_machine_gets_the_build_that_covers_it(tmp_path, machine, profile,
                                                   torch, archs, found):
    lines = profile_lines(dry_run(tmp_path, machine))
    assert lines['profile'] == profile
    assert lines['torch'].startswith(torch)
    assert lines['mmcv CUDA ops for'] == archs
    assert lines['found'] == found


def test_why_each_gpu_machine_gets_its_profile(tmp_path):
    why = {
        m: profile_lines(dry_run(tmp_path, m))['why']
        for m in ('v100_r580', 'a100_r535', 'h100_r580')
    }
    assert why['v100_r580'] == ('GPU 0 (Tesla V100-SXM2-32GB) is sm_70, which '
                                'torch 2.14.1 (CUDA 13.0) has no kernels for')
    assert why['a100_r535'] == (
        'driver 535.230.02 supports CUDA 12.2, older than torch 2.14.1 (CUDA '
        '13.0) needs (R580)')
    assert why['h100_r580'] == 'every GPU has kernels in the newest build'


@pytest.mark.parametrize('machine', ['no_gpu', None])
def test_no_gpu_gets_the_cpu_profile(tmp_path, machine):
    env = {} if machine else dict(PATH='/usr/bin:/bin')  # no nvidia-smi
    lines = profile_lines(dry_run(tmp_path, machine or 'no_gpu', **env))
    assert lines['profile'] == 'cpu'
    assert lines['torch'].startswith('torch==2.14.1 torchvision==0.29.1')
    assert lines['found'] == 'no GPU'


def test_v100_with_r470_driver_is_refused_in_one_line(tmp_path):
    proc = dry_run(tmp_path, 'v100_r470')
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        '[setup] refused: the NVIDIA driver 470.256.02 supports CUDA 11.4, '
        'older than every CUDA build of torch in the package registry needs '
        '(CUDA 12.8 needs R525 or newer, CUDA 13.0 R580); upgrade the driver, '
        'or set MMTNT_TORCH_PROFILE=cpu to train on CPU (found: GPU 0 Tesla '
        'V100-SXM2-32GB (sm_?); driver 470.256.02 (CUDA 11.4))'
    ]


def test_login_node_prepares_a_named_profile(tmp_path):
    lines = profile_lines(
        dry_run(
            tmp_path,
            'no_gpu',
            MMTNT_TORCH_PROFILE='cu128',
            TORCH_CUDA_ARCH_LIST='7.0;8.0'))
    assert lines['profile'] == 'cu128'
    assert lines['CUDA'] == '12.8'
    assert lines['mmcv CUDA ops for'] == '7.0;8.0'
    # without an arch list: every arch the torch build has kernels for
    lines = profile_lines(
        dry_run(tmp_path, 'no_gpu', MMTNT_TORCH_PROFILE='cu130'))
    assert lines['mmcv CUDA ops for'] == '7.5;8.0;8.6;9.0;10.0;12.0'


@pytest.mark.parametrize('machine, variables, refusal', [
    ('v100_r580', dict(MMTNT_TORCH_PROFILE='cu130'),
     'MMTNT_TORCH_PROFILE=cu130: torch 2.14.1 (CUDA 13.0) has no kernels '
     'for GPU 0 (Tesla V100-SXM2-32GB, sm_70); unset MMTNT_TORCH_PROFILE '
     'to get the profile that covers it'),
    ('no_gpu', dict(MMTNT_TORCH_PROFILE='cu130', TORCH_CUDA_ARCH_LIST='7.0'),
     "TORCH_CUDA_ARCH_LIST has '7.0', which CUDA 13.0's nvcc cannot "
     'compile (it takes X.Y from 7.5 on, separated by ";"); change it or '
     'unset it'),
    ('no_gpu', dict(MMTNT_TORCH_PROFILE='cuda'),
     'MMTNT_TORCH_PROFILE=cuda is not a profile; use auto, cpu, cu130, '
     'cu128'),
])
def test_a_profile_that_cannot_serve_is_refused(tmp_path, machine, variables,
                                                refusal):
    proc = dry_run(tmp_path, machine, **variables)
    assert proc.returncode == 1
    assert proc.stdout.startswith(f'[setup] refused: {refusal} (found: ')


def test_profile_archs_are_those_of_the_installed_torch():
    import torch

    from mmtnt.utils.cuda_env import torch_archs
    from mmtnt.utils.gpu_profile import PROFILES
    mine = [
        p for p in PROFILES.values() if p.cuda == torch.version.cuda
        and p.torch == torch.__version__.split('+')[0]
    ]
    assert len(mine) == 1, (torch.__version__, torch.version.cuda)
    assert tuple(torch_archs()) == mine[0].archs


def check_stack(tmp_path, machine):
    proc = subprocess.run([sys.executable, 'tools/misc/check_stack.py'],
                          cwd=ROOT,
                          env=fake_gpus(tmp_path, machine),
                          capture_output=True,
                          text=True,
                          timeout=300)
    return proc.returncode, proc.stdout.strip()


def test_set_up_check_runs_the_ops_where_there_is_no_gpu(tmp_path):
    import torch
    from mmcv.ops import get_compiling_cuda_version
    code, line = check_stack(tmp_path, 'no_gpu')
    assert (code, line) == (
        0, f'mmcv ops (CUDA {get_compiling_cuda_version()}) with torch '
        f'{torch.__version__}: NMS on CPU')


@pytest.mark.parametrize('machine, refusal', [
    ('v100_r580', 'GPU 0 (Tesla V100-SXM2-32GB) is sm_70, but torch {} has '
     'kernels for sm 7.5 8.0 8.6 9.0 10.0 12.0 only; run '
     'tools/setup_env.sh in a fresh environment (it installs the torch '
     'build for these GPUs)'),
    ('a100_r535', 'the NVIDIA driver 535.230.02 supports CUDA 12.2, older '
     'than torch {} (CUDA 13.0) needs; upgrade the driver, or run '
     'tools/setup_env.sh in a fresh environment (it installs the torch '
     'build for this driver)'),
])
def test_set_up_check_refuses_what_the_torch_build_cannot_serve(
        tmp_path, machine, refusal):
    """A V100 (no sm_70 kernels) and an R535 driver (older than CUDA 13)
    under the CUDA 13.0 build."""
    import torch
    if torch.version.cuda != '13.0':
        pytest.skip('the cu128 profile serves both')
    code, line = check_stack(tmp_path, machine)
    assert (code, line) == (1, 'refused: ' + refusal.format(torch.__version__))


def test_set_up_check_refuses_mmcv_without_cuda_ops_on_a_gpu_machine(tmp_path):
    from mmcv.ops import get_compiling_cuda_version
    code, line = check_stack(tmp_path, 'h100_r580')
    assert code == 1
    if get_compiling_cuda_version() == 'not available':
        assert line == (
            'refused: mmcv was compiled without CUDA ops on a GPU machine '
            '(NMS and RoIAlign of the detectors would fail on the GPU); '
            'delete the environment and run tools/setup_env.sh here, or build '
            'mmcv with FORCE_CUDA=1 (tools/build_mmcv.sh)')
    else:  # a CUDA mmcv passes; this machine's torch then finds no GPU
        assert 'torch.cuda.is_available() is False' in line
