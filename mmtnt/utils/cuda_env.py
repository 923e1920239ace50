"""Whether this torch and mmcv can use the machine's GPUs, and if not, why
(one line each): the checks of ``tools/setup_env.sh`` and the launch.

    problem = cuda_problem(read_machine())   # None, or what is wrong
"""
import glob
import os

import torch

from .gpu_profile import arch_tag, read_machine, version_tuple

__all__ = [
    'build_problem', 'cuda_problem', 'device_problem', 'gpu_signs',
    'mmcv_cuda_problem', 'read_machine'
]


def gpu_signs(environ=None, machine=None):
    """What says this machine has NVIDIA GPUs for this process: ``nvidia-smi``
    lists some, ``/dev/nvidia<N>`` exists, or ``CUDA_VISIBLE_DEVICES`` or a
    Slurm GPU variable names some. An empty list: a machine without GPUs."""
    environ = os.environ if environ is None else environ
    machine = read_machine() if machine is None else machine
    signs = []
    if machine.gpus:
        signs.append(f'nvidia-smi lists {len(machine.gpus)} GPU(s)')
    if glob.glob('/dev/nvidia[0-9]*'):
        signs.append('/dev/nvidia* exists')
    for name in ('CUDA_VISIBLE_DEVICES', 'SLURM_JOB_GPUS', 'SLURM_STEP_GPUS',
                 'SLURM_GPUS_ON_NODE'):
        if environ.get(name, '').strip() not in ('', '-1', 'NoDevFiles'):
            signs.append(f'{name}={environ[name]}')
    return signs


def torch_archs():
    """The compute capabilities this torch has kernels for ('7.5', ...)."""
    flags = torch._C._cuda_getArchFlags() if torch.version.cuda else ''
    return sorted(
        {
            f'{tag[:-1]}.{tag[-1]}'
            for tag in (f.split('_')[-1]
                        for f in flags.split()) if tag.isdigit()
        },
        key=version_tuple)


def cuda_problem(machine, environ=None):
    """Why this torch cannot run on the GPUs of ``machine`` (one line), or
    None where it can (or there is no GPU): :func:`build_problem`, then
    :func:`device_problem`.

    Args:
        machine (Machine): From :func:`read_machine`.
        environ (dict, optional): The environment (``os.environ``).
    """
    return build_problem(machine) or device_problem(machine, environ)


def build_problem(machine):
    """What in this torch build does not fit the GPUs and driver that
    ``nvidia-smi`` reports (no GPU is touched), or None."""
    if not machine.gpus:
        return None
    build = f'torch {torch.__version__}'
    if not torch.version.cuda:
        return (
            f'{build} is a CPU build, but {machine.describe()}; run tools/setup_env.sh in a fresh environment to get the CUDA build for these GPUs'  # noqa: E501
        )
    archs = torch_archs()
    for gpu in machine.gpus:
        major, minor = version_tuple(gpu.cap or '0.0')
        if gpu.cap and not any(
                version_tuple(a)[0] == major and version_tuple(a)[1] <= minor
                for a in archs):
            return (
                f'GPU {gpu.index} ({gpu.name}) is sm_{arch_tag(gpu.cap)}, but {build} has kernels for sm {" ".join(archs)} only; run tools/setup_env.sh in a fresh environment (it installs the torch build for these GPUs)'  # noqa: E501
            )
    needed = (version_tuple(torch.version.cuda)[0], 0)
    if (machine.driver_cuda or (0, 0)) < needed:
        return (
            f'the NVIDIA driver {machine.driver} supports CUDA {".".join(map(str, machine.driver_cuda or ("?", )))}, older than {build} (CUDA {torch.version.cuda}) needs; upgrade the driver, or run tools/setup_env.sh in a fresh environment (it installs the torch build for this driver)'  # noqa: E501
        )
    return None


def device_problem(machine, environ=None):
    """Why torch sees none of the GPUs ``nvidia-smi`` lists, or None."""
    environ = os.environ if environ is None else environ
    if machine.gpus and not torch.cuda.is_available():
        hidden = environ.get('CUDA_VISIBLE_DEVICES')
        if hidden is not None and hidden.strip() in ('', '-1'):
            return (
                f'CUDA_VISIBLE_DEVICES={hidden!r} hides every GPU of {machine.describe()}; unset it or name the GPUs'  # noqa: E501
            )
        return (
            f'torch {torch.__version__} cannot use the GPUs ({machine.describe()}): torch.cuda.is_available() is False; check that this process can open /dev/nvidia* (containers: --gpus all)'  # noqa: E501
        )
    return None


def mmcv_cuda_problem():
    """Why mmcv's ops cannot run on this GPU machine (one line), or None."""
    from mmcv.ops import get_compiling_cuda_version
    compiled = get_compiling_cuda_version()
    if compiled == 'not available':
        return (
            'mmcv was compiled without CUDA ops on a GPU machine (NMS and RoIAlign of the detectors would fail on the GPU); delete the environment and run tools/setup_env.sh here, or build mmcv with FORCE_CUDA=1 (tools/build_mmcv.sh)'  # noqa: E501
        )
    if version_tuple(compiled)[0] != version_tuple(torch.version.cuda)[0]:
        return (
            f'mmcv was compiled with CUDA {compiled}, torch with CUDA {torch.version.cuda}; rebuild mmcv (tools/setup_env.sh)'  # noqa: E501
        )
    return None
