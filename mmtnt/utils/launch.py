"""Starting and ending a run of mmtnt's tools: process group, runner, one-line
errors.
"""
import os
import pickle

import torch
import torch.distributed as dist
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmtnt.checkpoint import (TRUST_VARIABLE, CheckpointFormatError,
                              checkpoint_types_allowed, refused_type)
from mmtnt.engine import BrokenSampleError, NonFiniteLossError

TASK_SCOPES = ('mmpretrain', 'mmdet', 'mmseg')


def setup_env(cfg, launcher):
    """Check the config's task and prepare a CPU-only distributed launch.

    Without a GPU the process group is started here with gloo, so mmengine's
    Runner (which would call ``torch.cuda.set_device``) finds it started, and
    DDP is told to use no devices.

    Args:
        cfg (Config): The run's config; ``env_cfg`` and ``model_wrapper_cfg``
            are filled in.
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
    """
    scope = cfg.get('default_scope', 'mmpretrain')
    if scope not in TASK_SCOPES:
        raise SystemExit(
            f"error: default_scope={scope!r} in the config; mmtnt's tools run "
            "'mmpretrain' (classification), 'mmdet' (detection) or 'mmseg' "
            '(segmentation) configs.')
    if launcher != 'none' and 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = '0'
    if torch.cuda.is_available():
        return
    # NCCL needs GPUs; gloo runs the same collectives on CPU.
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg',
                                             {})['backend'] = 'gloo'
    if launcher == 'none':
        return
    if launcher != 'pytorch':
        raise SystemExit(
            f'error: --launcher {launcher} needs GPUs; on CPU use '
            'tools/dist_train.sh '
            '(torchrun, --launcher pytorch).')
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


def build_runner(cfg):
    """The config's runner (``runner_type`` if set, else mmengine's Runner)."""
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def run(runner_call, checkpoint_hint=''):
    """Call ``runner_call`` with the checkpoint types of real checkpoints
    allowed to load (:func:`mmtnt.checkpoint.checkpoint_types_allowed`); a
    checkpoint that does not fit the model, or that needs any other type, exits
    with one line."""
    try:
        with checkpoint_types_allowed():
            return runner_call()
    except CheckpointFormatError as err:
        raise SystemExit(f'error: {checkpoint_hint}{err}')
    except (BrokenSampleError, NonFiniteLossError) as err:
        # From a dataloader worker the message ends the traceback torch re-
        # raises.
        last = str(err).strip().splitlines()[-1]
        raise SystemExit(
            f'error: {last.split(type(err).__name__ + ": ", 1)[-1]}')
    except pickle.UnpicklingError as err:
        raise SystemExit(
            f'error: {checkpoint_hint}refused to load: it needs '
            f'{refused_type(err)}, which no real '
            'checkpoint holds (unpickling it could run code). If you trust '
            'this file, set '
            f'{TRUST_VARIABLE}=1.')


def finish():
    """End a distributed run cleanly: wait for every rank, then tear the
    process group down.
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
