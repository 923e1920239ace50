"""mmtnt.runs: the run's environment on a machine without GPUs (gloo, DDP
without devices), the runner, the line it logs, the one-line errors and the
checkpoint read once for a run."""
import os
import os.path as osp
import socket
from types import SimpleNamespace

import pytest
import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.runner import Runner

from mmtnt.runs import (DataError, LaunchError, build_runner, describe_run,
                        error_line)
from mmtnt.runs import launch as launch_module
from mmtnt.runs import prepare_checkpoint, set_rank_variables, setup_env
from tests.helpers import DIGITS_CONFIG, ROOT
from tests.helpers.reference_checkpoints import timm_model

no_cuda = pytest.mark.skipif(
    torch.cuda.is_available(), reason='CUDA works here')


@pytest.fixture
def cpu_machine(monkeypatch):
    """No nvidia-smi, no GPU variables."""
    monkeypatch.setenv('PATH', '/usr/bin:/bin')
    for name in ('CUDA_VISIBLE_DEVICES', 'SLURM_JOB_GPUS', 'SLURM_STEP_GPUS',
                 'SLURM_GPUS_ON_NODE', 'LOCAL_RANK'):
        monkeypatch.delenv(name, raising=False)


@no_cuda
def test_single_process_on_cpu_uses_gloo_and_keeps_other_dist_settings(
        cpu_machine):
    cfg = Config(dict(env_cfg=dict(dist_cfg=dict(timeout=60))))
    setup_env(cfg, 'none')
    assert cfg.env_cfg.dist_cfg == dict(timeout=60, backend='gloo')
    assert 'model_wrapper_cfg' not in cfg
    assert 'LOCAL_RANK' not in os.environ


@no_cuda
def test_torchrun_on_cpu_starts_gloo_and_ddp_without_devices(
        cpu_machine, monkeypatch):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    for name, value in dict(
            RANK='0',
            WORLD_SIZE='1',
            MASTER_ADDR='127.0.0.1',
            MASTER_PORT=str(port)).items():
        monkeypatch.setenv(name, value)
    cfg = Config(dict(default_scope='mmdet', find_unused_parameters=True))
    try:
        setup_env(cfg, 'pytorch')
        assert dist.is_initialized() and dist.get_backend() == 'gloo'
        assert os.environ['LOCAL_RANK'] == '0'
        assert cfg.model_wrapper_cfg == dict(
            type='MMDistributedDataParallel',
            device_ids=None,
            broadcast_buffers=False,
            find_unused_parameters=True)
        line = describe_run(SimpleNamespace(launcher='pytorch'))
        assert 'backend gloo, device cpu, world size 1' in line
    finally:
        dist.destroy_process_group()


@no_cuda
@pytest.mark.parametrize('launcher', ['slurm', 'mpi'])
def test_gpu_launchers_on_cpu_are_refused(cpu_machine, launcher):
    environ = {'OMPI_COMM_WORLD_LOCAL_RANK': '0', 'SLURM_JOB_ID': '1'}
    os.environ.update(environ)
    try:
        with pytest.raises(LaunchError) as err:
            setup_env(Config(), launcher)
    finally:
        for name in environ:
            os.environ.pop(name, None)
    assert str(err.value).startswith(f'--launcher {launcher} needs GPUs')


def test_a_config_of_another_task_is_refused():
    with pytest.raises(LaunchError, match="default_scope='mmocr'"):
        setup_env(Config(dict(default_scope='mmocr')), 'none')


@pytest.mark.parametrize('tf32', [None, False, True])
def test_tf32_follows_the_config_where_cuda_is_used(monkeypatch, tf32):
    monkeypatch.setattr(launch_module, 'use_cuda', lambda device: True)
    matmul, cudnn = (torch.backends.cuda.matmul.allow_tf32,
                     torch.backends.cudnn.allow_tf32)
    expected = tf32 is not False  # on by default
    try:
        torch.backends.cuda.matmul.allow_tf32 = not expected
        torch.backends.cudnn.allow_tf32 = not expected
        cfg = Config({} if tf32 is None else dict(tf32=tf32))
        setup_env(cfg, 'none')
        assert torch.backends.cuda.matmul.allow_tf32 is expected
        assert torch.backends.cudnn.allow_tf32 is expected
        assert 'env_cfg' not in cfg  # no gloo where CUDA is used
    finally:
        torch.backends.cuda.matmul.allow_tf32 = matmul
        torch.backends.cudnn.allow_tf32 = cudnn


def test_local_rank_is_set_only_for_a_launcher():
    environ = {}
    set_rank_variables('none', environ)
    assert environ == {}
    set_rank_variables('pytorch', environ)
    assert environ == {'LOCAL_RANK': '0'}
    environ = {'LOCAL_RANK': '5'}
    set_rank_variables('pytorch', environ)
    assert environ == {'LOCAL_RANK': '5'}


@no_cuda
def test_run_line_names_backend_device_world_torch_and_launcher():
    line = describe_run(SimpleNamespace(launcher='none'))
    assert line == (
        f'mmtnt: backend none, device cpu, world size 1, torch '
        f'{torch.__version__} (CUDA {torch.version.cuda}), launcher none, '
        f'TF32 {torch.backends.cuda.matmul.allow_tf32}')


@pytest.mark.parametrize('runner_type', [None, 'Runner'])
def test_build_runner_uses_runner_type_and_logs_the_run_line(
        tmp_path, runner_type, capsys):
    cfg = Config.fromfile(osp.join(ROOT, DIGITS_CONFIG))
    cfg.work_dir = str(tmp_path)
    cfg.launcher = 'none'
    # its own visualizer and logger: mmengine keeps one per experiment name,
    # which is a timestamp (two runners in one second would share them)
    cfg.experiment_name = tmp_path.name
    if runner_type:
        cfg.runner_type = runner_type
    runner = build_runner(cfg)
    assert isinstance(runner, Runner)
    assert runner.work_dir == str(tmp_path)
    assert type(runner.model).__name__ == 'ImageClassifier'
    log = open(runner.logger.log_file).read()
    assert describe_run(runner) in log


@pytest.mark.parametrize('err,line', [
    (DataError('data_root is missing'), 'error: data_root is missing'),
    (LaunchError('  padded  \n'), 'error: padded'),
    (LaunchError(''), 'error: LaunchError'),
    (DataError(
        'Traceback (most recent call last):\n  File "x.py"\n'
        'mmtnt.runs.errors.DataError: the last line'), 'error: the last line'),
])
def test_error_line_is_one_line_of_the_message(err, line):
    assert error_line(err) == line


@pytest.fixture(scope='module')
def timm_release(tmp_path_factory):
    path = str(tmp_path_factory.mktemp('release') / 'tnt_s_timm.pth')
    torch.save(timm_model('tnt_s_patch16_224').state_dict(), path)
    return path


def test_a_release_is_read_once_and_converted_for_the_runner(
        timm_release, tmp_path, monkeypatch):
    reads = []
    load = torch.load
    monkeypatch.setattr(torch, 'load',
                        lambda *a, **k: reads.append(a[0]) or load(*a, **k))
    path, fmt, checkpoint = prepare_checkpoint(timm_release, str(tmp_path))
    assert reads == [timm_release]
    assert fmt == 'timm'
    assert osp.dirname(path) == str(tmp_path / 'converted')
    assert 'backbone.blocks.0.attn_in.qk.weight' in torch.load(
        path, weights_only=True)['state_dict']
    assert 'blocks.0.attn_in.qk.weight' in checkpoint
    # the converted file is mmtnt's own: the runner loads it as it is
    again, fmt, _ = prepare_checkpoint(path, str(tmp_path / 'again'))
    assert (again, fmt) == (path, None)
    assert not osp.exists(tmp_path / 'again')
