"""Which torch build serves this machine's GPUs: read ``nvidia-smi``, choose a
profile (``cpu``, ``cu128`` or ``cu130``) and the CUDA arch list for mmcv.

Standard library only: ``tools/setup_env.sh`` runs it (through
``tools/misc/gpu_profile.py``) before torch is installed. Call
:func:`read_machine`, then :func:`choose_profile`; a machine no profile can
serve raises :class:`ProfileError` with one line.
"""
import re
import shutil
import subprocess
from dataclasses import dataclass

PROFILE_VARIABLE = 'MMTNT_TORCH_PROFILE'


class ProfileError(ValueError):
    """No torch build of the registry serves this machine (one line)."""


@dataclass(frozen=True)
class Profile:
    """A torch + torchvision build of the package registry.

    Args:
        name (str): ``cpu``, ``cu128`` or ``cu130``.
        torch (str): torch's version (the pins are in ``requirements``).
        requirements (str): The pip file that pins torch and torchvision.
        cuda (str | None): The build's CUDA version; None for the CPU profile.
        archs (tuple[str]): Compute capabilities the build has kernels for.
        driver_cuda (tuple[int, int]): The oldest CUDA version the driver must
            support (CUDA's minor-version compatibility: 12.0 is R525).
        nvcc_min_arch (str): The oldest arch this CUDA's nvcc compiles.
        nvcc_in_registry (bool): Whether the package registry has this CUDA's
            nvcc (CUDA 13: yes; CUDA 12: ptxas only, so a toolkit named by
            ``CUDA_HOME`` compiles mmcv).
    """
    name: str
    torch: str
    requirements: str
    cuda: str = None
    archs: tuple = ()
    driver_cuda: tuple = (0, 0)
    nvcc_min_arch: str = '0.0'
    nvcc_in_registry: bool = False

    @property
    def compiler_requirements(self):
        """The pip file of the nvcc, headers and CCCL for this CUDA."""
        return f'requirements/cuda-{self.cuda}-build.txt'


PROFILES = {
    'cpu':
    Profile('cpu', '2.14.1', 'requirements/torch.txt'),
    'cu130':
    Profile(
        'cu130',
        '2.14.1',
        'requirements/torch.txt',
        cuda='13.0',
        archs=('7.5', '8.0', '8.6', '9.0', '10.0', '12.0'),
        driver_cuda=(13, 0),
        nvcc_min_arch='7.5',
        nvcc_in_registry=True),
    'cu128':
    Profile(
        'cu128',
        '2.10.0',
        'requirements/torch-cu128.txt',
        cuda='12.8',
        archs=('7.0', '7.5', '8.0', '8.6', '9.0', '10.0', '12.0'),
        driver_cuda=(12, 0),
        nvcc_min_arch='5.0'),
}


@dataclass(frozen=True)
class Gpu:
    index: int
    name: str
    cap: str = None  # '7.0'; None where the driver cannot report it


@dataclass(frozen=True)
class Machine:
    """What ``nvidia-smi`` says: the GPUs, the driver and its CUDA version."""
    gpus: tuple = ()
    driver: str = None
    driver_cuda: tuple = None

    def describe(self):
        if not self.gpus:
            return 'no GPU'
        names = ', '.join(f'GPU {g.index} {g.name} (sm_{arch_tag(g.cap)})'
                          for g in self.gpus)
        cuda = '.'.join(map(str, self.driver_cuda or ('?', )))
        return f'{names}; driver {self.driver} (CUDA {cuda})'


def version_tuple(text):
    return tuple(int(p) for p in re.findall(r'\d+', text)[:2])


def arch_tag(cap):
    return cap.replace('.', '') if cap else '?'


def _smi(exe, args):
    proc = subprocess.run(
        [exe] + args, capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stdout


def read_machine(exe=None):
    """The GPUs ``nvidia-smi`` lists (a :class:`Machine` with none where there
    is no ``nvidia-smi`` or it finds no device)."""
    exe = exe or shutil.which('nvidia-smi')
    if exe is None:
        return Machine()
    form = '--format=csv,noheader'
    code, out = _smi(
        exe, ['--query-gpu=index,name,driver_version,compute_cap', form])
    if code != 0:  # drivers older than R510 know no compute_cap field
        code, out = _smi(exe, ['--query-gpu=index,name,driver_version', form])
    rows = [[f.strip() for f in line.split(',')] for line in out.splitlines()
            if line.strip()] if code == 0 else []
    if not rows:
        return Machine()
    gpus = tuple(
        Gpu(int(r[0]), r[1], r[3] if len(r) > 3 else None) for r in rows)
    found = re.search(r'CUDA Version:\s*([\d.]+)', _smi(exe, [])[1])
    return Machine(gpus, rows[0][2],
                   version_tuple(found.group(1)) if found else None)


def covers(profile, cap):
    """Whether ``profile`` has kernels that run on compute capability ``cap``
    (a build for X.Y runs on X.Z, Z >= Y)."""
    major, minor = version_tuple(cap)
    return any(
        version_tuple(a)[0] == major and version_tuple(a)[1] <= minor
        for a in profile.archs)


def _refuse_machine(machine):
    unknown = [g for g in machine.gpus if g.cap is None]
    old = [g for g in machine.gpus if g.cap and version_tuple(g.cap) < (7, 0)]
    if machine.driver_cuda is None or machine.driver_cuda < (12, 0):
        cuda = '.'.join(map(str, machine.driver_cuda or ('unknown', )))
        raise ProfileError(
            f'the NVIDIA driver {machine.driver} supports CUDA {cuda}, older than every CUDA build of torch in the package registry needs (CUDA 12.8 needs R525 or newer, CUDA 13.0 R580); upgrade the driver, or set MMTNT_TORCH_PROFILE=cpu to train on CPU'  # noqa: E501
        )
    if old:
        raise ProfileError(
            f'GPU {old[0].index} ({old[0].name}) is sm_{arch_tag(old[0].cap)}, older than any CUDA build of torch in the package registry runs on (sm_70 and newer); use a newer GPU, or set MMTNT_TORCH_PROFILE=cpu to train on CPU'  # noqa: E501
        )
    if unknown:
        raise ProfileError(
            f'nvidia-smi does not report the compute capability of GPU {unknown[0].index} ({unknown[0].name}); set MMTNT_TORCH_PROFILE and TORCH_CUDA_ARCH_LIST yourself'  # noqa: E501
        )


def _auto_profile(machine):
    """The newest build that covers every GPU under this driver, and why."""
    newest = PROFILES['cu130']
    uncovered = [g for g in machine.gpus if not covers(newest, g.cap)]
    if uncovered:
        gpu = uncovered[0]
        return PROFILES['cu128'], (
            f'GPU {gpu.index} ({gpu.name}) is sm_{arch_tag(gpu.cap)}, which torch {newest.torch} (CUDA {newest.cuda}) has no kernels for'  # noqa: E501
        )
    if machine.driver_cuda < newest.driver_cuda:
        return PROFILES['cu128'], (
            f'driver {machine.driver} supports CUDA {".".join(map(str, machine.driver_cuda))}, older than torch {newest.torch} (CUDA {newest.cuda}) needs (R580)'  # noqa: E501
        )
    return newest, 'every GPU has kernels in the newest build'


def _check_requested(profile, machine):
    for gpu in machine.gpus:
        if gpu.cap and not covers(profile, gpu.cap):
            raise ProfileError(
                f'{PROFILE_VARIABLE}={profile.name}: torch {profile.torch} (CUDA {profile.cuda}) has no kernels for GPU {gpu.index} ({gpu.name}, sm_{arch_tag(gpu.cap)}); unset {PROFILE_VARIABLE} to get the profile that covers it'  # noqa: E501
            )
    if machine.gpus and profile.cuda and (machine.driver_cuda or
                                          (0, )) < profile.driver_cuda:
        raise ProfileError(
            f'{PROFILE_VARIABLE}={profile.name}: driver {machine.driver} is too old for CUDA {profile.cuda}; unset {PROFILE_VARIABLE}, or upgrade the driver'  # noqa: E501
        )


def _arch_list(profile, machine, requested):
    """mmcv's TORCH_CUDA_ARCH_LIST: the one asked for, else the GPUs', else
    (no GPU here) every arch of the torch build."""
    if not profile.cuda:
        return ''
    if requested:
        archs = [a for a in re.split(r'[;\s]+', requested) if a]
    elif machine.gpus:
        archs = sorted({g.cap for g in machine.gpus}, key=version_tuple)
    else:
        archs = list(profile.archs)
    for arch in archs:
        if not re.fullmatch(r'\d+\.\d+a?(\+PTX)?', arch) or \
                version_tuple(arch) < version_tuple(profile.nvcc_min_arch):
            raise ProfileError(
                f'''TORCH_CUDA_ARCH_LIST has {arch!r}, which CUDA {profile.cuda}'s nvcc cannot compile (it takes X.Y from {profile.nvcc_min_arch} on, separated by ";"); change it or unset it'''  # noqa: E501
            )
    return ';'.join(archs)


def choose_profile(machine, requested=None, arch_list=None):
    """The profile for ``machine``: ``(profile, arch_list, why)``.

    Args:
        machine (Machine): From :func:`read_machine`.
        requested (str, optional): ``auto`` (or None), ``cpu``, ``cu128`` or
            ``cu130`` (``MMTNT_TORCH_PROFILE``).
        arch_list (str, optional): ``TORCH_CUDA_ARCH_LIST`` for mmcv.
    Raises:
        ProfileError: No build serves the machine, or the requested profile
            does not serve its GPUs.
    """
    requested = (requested or 'auto').strip()
    if requested not in ('auto', *PROFILES):
        raise ProfileError(
            f'{PROFILE_VARIABLE}={requested} is not a profile; use auto, ' +
            ', '.join(PROFILES))
    if requested != 'auto':
        profile = PROFILES[requested]
        _check_requested(profile, machine)
        why = f'{PROFILE_VARIABLE}={requested}'
    elif not machine.gpus:
        profile, why = PROFILES[
            'cpu'], 'no GPU (no nvidia-smi, or it lists none)'
    else:
        _refuse_machine(machine)
        profile, why = _auto_profile(machine)
    return profile, _arch_list(profile, machine, arch_list), why
