"""The set-up's check: mmcv's ops run with this torch on CPU and, where
nvidia-smi lists GPUs, torch and mmcv run NMS and RoIAlign on the GPU.

    python tools/misc/check_stack.py [--cuda 12.8]

``--cuda``: the profile's CUDA, which mmcv must be compiled with. Prints one
line; exits 1 with one line (what was found, what to do) where the stack
cannot serve this machine.
"""
import argparse
import sys

import torch
from mmcv.ops import get_compiling_cuda_version, nms, roi_align

from mmtnt.utils.cuda_env import (build_problem, device_problem,
                                  mmcv_cuda_problem, read_machine)


def run_ops(device):
    """NMS and RoIAlign on ``device``: (kept indices, pooled features)."""
    gen = torch.Generator().manual_seed(0)
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.],
                          [20., 20., 30., 30.]])
    _, keep = nms(boxes.to(device), torch.tensor([.9, .8, .7]).to(device), .5)
    feats = torch.rand(1, 4, 16, 16, generator=gen)
    rois = torch.tensor([[0., 1., 1., 9., 9.], [0., 4., 2., 15., 12.]])
    pooled = roi_align(feats.to(device), rois.to(device), (3, 3), 1.0, 2)
    return keep.cpu(), pooled.cpu()


def gpu_check(machine):
    """Run the ops on GPU 0 and compare them with the CPU's; a problem line or
    None."""
    keep, pooled = run_ops('cpu')
    gpu_keep, gpu_pooled = run_ops('cuda:0')
    if keep.tolist() != gpu_keep.tolist() or not torch.allclose(
            pooled, gpu_pooled, atol=1e-5):
        return (
            f'mmcv\'s NMS or RoIAlign on GPU 0 disagrees with the CPU (keep {gpu_keep.tolist()} vs {keep.tolist()}); rebuild mmcv for this GPU (tools/setup_env.sh)'  # noqa: E501
        )
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--cuda', default='')
    args = parser.parse_args()
    keep, _ = run_ops('cpu')
    if keep.tolist() != [0, 2]:
        print(
            f'refused: mmcv\'s NMS on CPU kept {keep.tolist()}, not [0, 2]; rebuild mmcv (delete ~/.cache/mmtnt/wheels/mmcv-*)'  # noqa: E501
        )
        return 1
    compiled = get_compiling_cuda_version()
    if args.cuda and compiled != args.cuda:
        print(
            f'refused: mmcv is compiled with CUDA {compiled}, the profile needs CUDA {args.cuda}; delete ~/.cache/mmtnt/wheels/mmcv-* for this torch and run tools/setup_env.sh again'  # noqa: E501
        )
        return 1
    machine = read_machine()
    problem = build_problem(machine) or (
        machine.gpus and mmcv_cuda_problem()) or device_problem(machine)
    if not problem and machine.gpus:
        problem = gpu_check(machine)
    if problem:
        print(f'refused: {problem}')
        return 1
    where = (
        f'NMS and RoIAlign on GPU 0 ({machine.gpus[0].name}) match the CPU'
        if machine.gpus else 'NMS on CPU')  # noqa: E501
    print(f'mmcv ops (CUDA {compiled}) with torch {torch.__version__}: {where}'
          )  # noqa: E501
    return 0


if __name__ == '__main__':
    sys.exit(main())
