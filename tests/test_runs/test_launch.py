"""The launch: GPU or nothing unless CPU is asked for, the ranks' variables
under MPI and Slurm, and which Python the launch scripts run."""
import os
import os.path as osp
import shutil
import stat
import subprocess

import pytest
import torch

from mmtnt.runs import LaunchError, set_rank_variables, use_cuda
from tests.helpers import DIGITS_CONFIG, ROOT, digits_options

SMI = osp.join(ROOT, 'tests', 'data', 'nvidia_smi')


def fake_smi_path(tmp_path):
    bin_dir = tmp_path / 'smi'
    bin_dir.mkdir()
    (bin_dir / 'nvidia-smi').symlink_to(osp.join(SMI, 'fake_nvidia_smi.sh'))
    return f'{bin_dir}:{os.environ["PATH"]}'


@pytest.mark.skipif(torch.cuda.is_available(), reason='CUDA works here')
def test_gpu_machine_without_usable_cuda_stops_with_one_line(
        tmp_path, monkeypatch):
    monkeypatch.setenv('PATH', fake_smi_path(tmp_path))
    monkeypatch.setenv('FAKE_NVIDIA_SMI', osp.join(SMI, 'h100_r580'))
    with pytest.raises(LaunchError) as err:
        use_cuda('auto', environ={})
    assert str(err.value) == (
        'no usable GPU (nvidia-smi lists 1 GPU(s)): torch '
        f'{torch.__version__} cannot use the GPUs (GPU 0 NVIDIA H100 80GB '
        'HBM3 (sm_90); driver 580.95.05 (CUDA 13.0)): '
        'torch.cuda.is_available() is False; check that this process can '
        'open /dev/nvidia* (containers: --gpus all). Nothing was started; to '
        'run on CPU anyway, pass --device cpu.')


@pytest.mark.skipif(torch.cuda.is_available(), reason='CUDA works here')
@pytest.mark.parametrize('variable', [
    'CUDA_VISIBLE_DEVICES', 'SLURM_JOB_GPUS', 'SLURM_STEP_GPUS',
    'SLURM_GPUS_ON_NODE'
])
def test_gpu_variables_without_cuda_stop(variable, monkeypatch):
    monkeypatch.setenv('PATH', '/usr/bin:/bin')  # no nvidia-smi
    with pytest.raises(LaunchError) as err:
        use_cuda('auto', environ={variable: '0,1'})
    assert str(err.value).startswith(f'no usable GPU ({variable}=0,1):'
                                     ' torch.cuda.is_available() is False')


@pytest.mark.skipif(torch.cuda.is_available(), reason='CUDA works here')
def test_no_gpu_at_all_runs_on_cpu_and_cuda_when_asked_stops(monkeypatch):
    monkeypatch.setenv('PATH', '/usr/bin:/bin')
    assert use_cuda('auto', environ={}) is False
    assert use_cuda('auto', environ={'CUDA_VISIBLE_DEVICES': ''}) is False
    with pytest.raises(LaunchError, match=r'^no usable GPU \(no GPU found\)'):
        use_cuda('cuda', environ={})


def test_cpu_asked_for_hides_the_gpus():
    environ = {}
    assert use_cuda('cpu', environ=environ) is False
    assert environ == {'CUDA_VISIBLE_DEVICES': ''}


def test_mpi_local_rank_is_open_mpis():
    environ = {'OMPI_COMM_WORLD_LOCAL_RANK': '3', 'LOCAL_RANK': '0'}
    set_rank_variables('mpi', environ)
    assert environ['LOCAL_RANK'] == '3'
    with pytest.raises(LaunchError, match='needs Open MPI'):
        set_rank_variables('mpi', {})


def test_slurm_port_follows_the_job():
    first, second = {'SLURM_JOB_ID': '123456'}, {'SLURM_JOB_ID': '123457'}
    set_rank_variables('slurm', first)
    set_rank_variables('slurm', second)
    assert first['MASTER_PORT'] == str(20000 + 123456 % 20000)
    assert first['MASTER_PORT'] != second['MASTER_PORT']
    given = {'SLURM_JOB_ID': '1', 'MASTER_PORT': '29999'}
    set_rank_variables('slurm', given)
    assert given['MASTER_PORT'] == '29999'


def recording_python(path):
    """A stand-in interpreter that records how it was called."""
    path.write_text('#!/bin/sh\necho "$0 $*" > "$RECORD"\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


@pytest.mark.parametrize(
    'script',
    ['dist_train.sh', 'dist_test.sh', 'slurm_train.sh', 'slurm_test.sh'])
@pytest.mark.parametrize('chosen', ['explicit', 'conda', 'venv'])
def test_launch_scripts_choose_the_python(tmp_path, script, chosen):
    """An explicit PYTHON wins; an active conda (or virtual) environment's
    python comes before the checkout's .venv."""
    checkout = tmp_path / 'checkout'
    (checkout / 'tools').mkdir(parents=True)
    for name in (script, 'python_for_tools.sh'):
        shutil.copy(osp.join(ROOT, 'tools', name), checkout / 'tools')
    (checkout / '.venv' / 'bin').mkdir(parents=True)
    record = tmp_path / 'record'
    pythons = dict(
        explicit=recording_python(tmp_path / 'mypython'),
        venv=recording_python(checkout / '.venv' / 'bin' / 'python'))
    path_dir = tmp_path / 'path'
    path_dir.mkdir()
    pythons['conda'] = recording_python(path_dir / 'python')
    # srun stand-in: runs the interpreter it is given, after the options
    (path_dir / 'srun').write_text(
        '#!/bin/sh\nfor a; do shift; case "$a" in *python) exec "$a" "$@";;'
        ' esac; done\n')
    (path_dir / 'srun').chmod(0o755)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ('PYTHON', 'VIRTUAL_ENV', 'CONDA_PREFIX', 'PORT')
    }
    env.update(RECORD=str(record), PATH=f'{path_dir}:{env["PATH"]}')
    if chosen == 'explicit':
        env['PYTHON'] = pythons['explicit']
    elif chosen == 'conda':
        env['CONDA_PREFIX'] = str(tmp_path)
    args = {
        'dist_train.sh': ['CONFIG', '2'],
        'dist_test.sh': ['CONFIG', 'CKPT', '2'],
        'slurm_train.sh': ['PART', 'JOB', 'CONFIG', 'WORK'],
        'slurm_test.sh': ['PART', 'JOB', 'CONFIG', 'CKPT'],
    }[script]
    subprocess.run(
        ['bash', f'tools/{script}'] + args,
        cwd=checkout,
        env=env,
        check=True,
        capture_output=True)
    called = record.read_text().split()
    assert osp.realpath(osp.join(checkout,
                                 called[0])) == osp.realpath(pythons[chosen])
    if script.startswith('dist'):
        assert called[1:3] == ['-m', 'torch.distributed.run']


@pytest.mark.slow
@pytest.mark.skipif(torch.cuda.is_available(), reason='CUDA works here')
def test_dist_train_on_a_gpu_node_without_cuda_exits_with_the_reason(
        tmp_path, digits_root):
    import sys
    env = dict(
        os.environ,
        PATH=fake_smi_path(tmp_path),
        FAKE_NVIDIA_SMI=osp.join(SMI, 'v100_r580'),
        PYTHON=sys.executable,
        PORT='29611')
    proc = subprocess.run(
        [
            'bash', 'tools/dist_train.sh', DIGITS_CONFIG, '2', '--work-dir',
            str(tmp_path / 'work')
        ] + digits_options(digits_root),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600)
    assert proc.returncode != 0
    errors = [
        line for line in proc.stderr.splitlines() if line.startswith('error: ')
    ]
    assert len(errors) == 2  # one line from each rank, and nothing trained
    assert errors[0].startswith(
        'error: no usable GPU (nvidia-smi lists 2 GPU(s)): GPU 0 '
        '(Tesla V100-SXM2-32GB) is sm_70, but torch') or torch.version.cuda \
        == '12.8'
    assert not (tmp_path / 'work' / 'epoch_1.pth').exists()
