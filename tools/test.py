"""Evaluate a checkpoint on a config's test set (classification, detection or
segmentation).

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out results.pkl]
        [--show-dir DIR] [--cfg-options k=v ...] [--launcher ...]

Checkpoints of any known TNT format (mmtnt, mmpretrain, timm, official) load
directly; see docs/checkpoints.md.
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import DictAction
from mmengine.evaluator import DumpResults

from mmtnt.runs import (USER_ERRORS, add_device_argument, build_runner,
                        check_data, check_runner_model, checkpoint_loads,
                        error_line, finish, prepare_checkpoint, setup_env)
from mmtnt.utils import load_config


def parse_args():
    parser = argparse.ArgumentParser(description='Test a TNT model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument(
        '--out',
        help='dump predictions to this pickle file for offline analysis')
    parser.add_argument(
        '--show-dir',
        help=(
            'write visualised predictions under work_dir/time/DIR (segmentation: work_dir/DIR/vis_data/vis_image)'  # noqa: E501
        ))
    parser.add_argument(
        '--show', action='store_true', help='show predictions in a window')
    parser.add_argument(
        '--wait-time',
        type=float,
        default=2,
        help='seconds between shown images')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. test_dataloader.batch_size=8')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none')
    add_device_argument(parser)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def enable_visualization(cfg, args):
    """Each toolbox names its visualisation hook differently; switch on
    whichever is there.
    """
    hook = cfg.default_hooks.get('visualization')
    if hook is None:
        raise SystemExit(
            'error: --show/--show-dir need default_hooks.visualization in the config.'  # noqa: E501
        )
    hook[
        # every test image, not every 50th/5000th as during training
        'interval'] = 1
    if cfg.default_scope == 'mmpretrain':
        hook['enable'] = True
        if args.show_dir:
            hook['out_dir'] = args.show_dir
        hook['show'] = args.show
    elif cfg.default_scope == 'mmdet':
        hook['draw'] = True
        if args.show_dir:  # relative to the run's folder in the work dir
            hook['test_out_dir'] = args.show_dir
        hook['show'] = args.show
    # mmseg: its hook draws through the visualizer's backends, so move their
    # folder
    else:
        hook['draw'] = True
        if args.show_dir:
            cfg.visualizer['save_dir'] = osp.join(cfg.work_dir, args.show_dir)
        hook['show'] = args.show
    hook['wait_time'] = args.wait_time


def main():
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        raise SystemExit(
            f'error: checkpoint {args.checkpoint!r} does not exist.')
    cfg = load_config(args.config, args.cfg_options)
    setup_env(cfg, args.launcher, args.device)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.show or args.show_dir:
        enable_visualization(cfg, args)
    check_data(cfg, ['test_dataloader'])
    # A TNT release (official, timm, mmpretrain) is converted into the work
    # dir first.
    cfg.load_from, release, checkpoint = prepare_checkpoint(
        args.checkpoint, cfg.work_dir)
    if release:
        print(
            f'{args.checkpoint}: {release} format, converted to {cfg.load_from}'  # noqa: E501
        )
    runner = build_runner(cfg)
    # Never evaluate a half-loaded model: every weight must come from the
    # checkpoint.
    check_runner_model(runner, checkpoint, args.checkpoint)
    if args.out:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise SystemExit(
                f'error: --out {args.out!r} must end with .pkl or .pickle.')
        runner.test_evaluator.metrics.append(
            DumpResults(out_file_path=args.out))
    with checkpoint_loads(args.checkpoint):
        metrics = runner.test()
    finish()
    return metrics


if __name__ == '__main__':
    try:
        main()
    except USER_ERRORS as err:
        sys.exit(error_line(err))
