"""Starting and ending a run of mmtnt's tools: task check, device, process
group, runner."""
import os

import torch
import torch.distributed as dist
from mmengine.model import is_model_wrapper
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmtnt.utils.cuda_env import cuda_problem, gpu_signs, read_machine
from .errors import LaunchError

TASK_SCOPES = ('mmpretrain', 'mmdet', 'mmseg')


def setup_env(cfg, launcher, device='auto'):
    """Check the config's task, choose the device and prepare the launch.

    ``device='auto'`` trains on the GPUs where CUDA works, on CPU where the
    machine has no GPU at all, and stops with one line where it has GPUs
    (``nvidia-smi``, ``/dev/nvidia*``, ``CUDA_VISIBLE_DEVICES``, Slurm's GPU
    variables) that CUDA cannot use. Without a GPU the process group is
    started here with gloo, so mmengine's Runner (which would call
    ``torch.cuda.set_device``) finds it started, and DDP is told to use no
    devices.

    Args:
        cfg (Config): The run's config; ``env_cfg`` and ``model_wrapper_cfg``
            are filled in.
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        device (str): ``'auto'``, ``'cuda'`` (stop unless CUDA works) or
            ``'cpu'`` (CPU even where GPUs work).
    """
    scope = cfg.get('default_scope', 'mmpretrain')
    if scope not in TASK_SCOPES:
        raise LaunchError(
            f"default_scope={scope!r} in the config; mmtnt's tools run 'mmpretrain' (classification), 'mmdet' (detection) or 'mmseg' (segmentation) configs."  # noqa: E501
        )
    set_rank_variables(launcher)
    if use_cuda(device):
        tf32 = bool(cfg.get('tf32', True))
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        return
    # NCCL needs GPUs; gloo runs the same collectives on CPU.
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg',
                                             {})['backend'] = 'gloo'
    if launcher == 'none':
        return
    if launcher != 'pytorch':
        raise LaunchError(
            f'--launcher {launcher} needs GPUs; on CPU use tools/dist_train.sh (torchrun, --launcher pytorch).'  # noqa: E501
        )
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    # mmengine's default DDP wrapper passes device_ids=[LOCAL_RANK], which DDP
    # refuses on CPU.
    cfg.setdefault(
        'model_wrapper_cfg',
        dict(
            type='MMDistributedDataParallel',
            device_ids=None,
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False)))


def add_device_argument(parser):
    """The tools' ``--device`` option (:func:`use_cuda`)."""
    parser.add_argument(
        '--device',
        choices=['auto', 'cuda', 'cpu'],
        default='auto',
        help=(
            'auto: the GPUs where CUDA works, CPU on a machine without any (a machine whose GPUs CUDA cannot use stops); cpu: CPU even there'  # noqa: E501
        ))


def set_rank_variables(launcher, environ=None):
    """``LOCAL_RANK`` (and, under Slurm, ``MASTER_PORT``) as mmengine's
    launchers and DDP expect them.

    ``--launcher mpi``: Open MPI's local rank, the GPU mmengine's MPI start
    sets. ``--launcher slurm``: a port derived from the job id unless
    ``MASTER_PORT`` is set, so that two jobs on one node do not meet.
    """
    environ = os.environ if environ is None else environ
    if launcher == 'mpi':
        if 'OMPI_COMM_WORLD_LOCAL_RANK' not in environ:
            raise LaunchError(
                "--launcher mpi needs Open MPI's mpirun (it sets OMPI_COMM_WORLD_LOCAL_RANK, unset here); start the job with mpirun, or use tools/dist_train.sh."  # noqa: E501
            )
        environ['LOCAL_RANK'] = environ['OMPI_COMM_WORLD_LOCAL_RANK']
    elif launcher == 'slurm' and 'MASTER_PORT' not in environ:
        environ['MASTER_PORT'] = str(20000 +
                                     int(environ.get('SLURM_JOB_ID', '0')) %
                                     20000)
    if launcher != 'none':
        environ.setdefault('LOCAL_RANK', '0')


def use_cuda(device='auto', environ=None):
    """Whether the run uses CUDA; :class:`LaunchError` where the machine has
    GPUs that CUDA cannot use and CPU was not asked for (``device='cpu'``)."""
    environ = os.environ if environ is None else environ
    if device == 'cpu':
        environ['CUDA_VISIBLE_DEVICES'] = ''  # before CUDA starts
        return False
    if torch.cuda.is_available():
        return True
    machine = read_machine()
    signs = gpu_signs(environ, machine)
    if device == 'auto' and not signs:
        return False
    problem = cuda_problem(machine, environ) or (
        'torch.cuda.is_available() is False and nvidia-smi lists no GPU')
    found = '; '.join(signs) or 'no GPU found'
    raise LaunchError(
        f'no usable GPU ({found}): {problem}. Nothing was started; to run on CPU anyway, pass --device cpu.'  # noqa: E501
    )


def describe_run(runner):
    """One line: backend, device, world size, torch and CUDA."""
    world = dist.get_world_size() if dist.is_initialized() else 1
    backend = dist.get_backend() if dist.is_initialized() else 'none'
    if torch.cuda.is_available():
        index = torch.cuda.current_device()
        where = f'cuda:{index} ({torch.cuda.get_device_name(index)})'
    else:
        where = 'cpu'
    return (
        f'mmtnt: backend {backend}, device {where}, world size {world}, torch {torch.__version__} (CUDA {torch.version.cuda}), launcher {runner.launcher}, TF32 {torch.backends.cuda.matmul.allow_tf32}'  # noqa: E501
    )


def build_runner(cfg):
    """The config's runner (``runner_type`` if set, else mmengine's Runner).

    The config's ``compile`` (True, or a dict of ``torch.compile`` arguments)
    compiles the model's forward (:func:`compile_model`) instead of mmengine's
    whole ``train_step``.
    """
    compile_cfg = cfg.pop('compile', None)
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(
        cfg)
    if compile_cfg:
        compile_model(runner, compile_cfg)
    runner.logger.info(describe_run(runner))
    return runner


def compile_model(runner, compile_cfg):
    """``torch.compile`` the forward of the runner's model (loss and predict).

    mmengine's own ``compile`` compiles ``train_step``, optimizer step
    included, where torch 2.14's dynamo fails (an internal error in
    ``torch/_dynamo/variables/optimizer.py``); the forward holds what
    compiling can speed up.

    Args:
        runner (Runner): A built runner; its model may be DDP-wrapped.
        compile_cfg (bool | dict): True, or ``torch.compile`` arguments.
    """
    kwargs = {} if compile_cfg is True else dict(compile_cfg)
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    model.forward = torch.compile(model.forward, **kwargs)
    runner.logger.info(
        f'mmtnt: compiled the model\'s forward with torch.compile({kwargs}); the first iterations will be slow.'  # noqa: E501
    )


def finish():
    """End a distributed run cleanly: wait for every rank, then tear the
    process group down.
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
