"""Print the torch profile of this machine (what tools/setup_env.sh installs).

    python3 tools/misc/gpu_profile.py          # the profile, and why
    python3 tools/misc/gpu_profile.py --shell  # KEY=value lines for the set-up

Reads nvidia-smi, MMTNT_TORCH_PROFILE (auto, cpu, cu128, cu130) and
TORCH_CUDA_ARCH_LIST. Runs with any Python 3.10+, before torch is installed.
Exits 1 with one line where no profile serves the machine.
"""
import argparse
import importlib.util
import os
import os.path as osp
import shlex
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_module():
    # By path: importing the mmtnt package would need torch.
    path = osp.join(ROOT, 'mmtnt', 'utils', 'gpu_profile.py')
    spec = importlib.util.spec_from_file_location('gpu_profile', path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def torch_pins(profile):
    with open(osp.join(ROOT, profile.requirements)) as f:
        return [
            line.strip() for line in f
            if line.strip() and not line.startswith('#')
        ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--shell', action='store_true')
    args = parser.parse_args()
    gp = load_module()
    machine = gp.read_machine()
    try:
        profile, archs, why = gp.choose_profile(
            machine, os.environ.get(gp.PROFILE_VARIABLE),
            os.environ.get('TORCH_CUDA_ARCH_LIST'))
    except gp.ProfileError as err:
        print(f'refused: {err} (found: {machine.describe()})', file=sys.stderr)
        return 1
    if args.shell:
        values = dict(
            MMTNT_PROFILE=profile.name,
            MMTNT_TORCH_REQUIREMENTS=profile.requirements,
            MMTNT_TORCH_VERSION=profile.torch,
            MMTNT_CUDA=profile.cuda or '',
            MMTNT_ARCH_LIST=archs,
            MMTNT_NVCC_IN_REGISTRY='1' if profile.nvcc_in_registry else '')
        print('\n'.join(f'{k}={shlex.quote(v)}' for k, v in values.items()))
        return 0
    print(f'profile: {profile.name}')
    print(f'torch: {" ".join(torch_pins(profile))} ({profile.requirements})')
    print(f'CUDA: {profile.cuda or "none (CPU)"}')
    if profile.cuda:
        print(f'kernels of the torch build: sm {" ".join(profile.archs)}')
        print(f'mmcv CUDA ops for: {archs}')
        nvcc = (
            f'the package registry ({profile.compiler_requirements})'
            if profile.nvcc_in_registry else
            f'CUDA_HOME (a CUDA {profile.cuda} toolkit; the registry has none)'
        )  # noqa: E501
        print(f'nvcc from: {nvcc}')
    print(f'found: {machine.describe()}')
    print(f'why: {why}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
