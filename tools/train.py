"""Train a classifier, detector or segmentor from a config (the task follows
default_scope).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp
        [--amp-dtype float16|bfloat16]] [--auto-scale-lr] [--device cpu|cuda]
        [--cfg-options k=v ...] [--launcher none|pytorch|slurm|mpi]
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import DictAction
from mmengine.dist import get_dist_info

from mmtnt.engine import amp_optim_wrapper
from mmtnt.runs import (USER_ERRORS, add_device_argument, build_runner,
                        check_data, check_runner_model, checkpoint_loads,
                        error_line, finish, prepare_checkpoint, setup_env)
from mmtnt.utils import load_config


def parse_args():
    parser = argparse.ArgumentParser(description='Train a TNT model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help=(
            'resume from the given checkpoint, or from the latest one in the work dir if none'  # noqa: E501
        ))
    parser.add_argument(
        '--amp',
        action='store_true',
        help=(
            'automatic mixed precision: bfloat16 where the device has it, else float16 with a dynamic loss scale'  # noqa: E501
        ))
    parser.add_argument(
        '--amp-dtype',
        choices=['auto', 'float16', 'bfloat16'],
        default='auto',
        help='the autocast dtype of --amp')
    add_device_argument(parser)
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='skip validation in training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the lr by (GPUs x batch) / auto_scale_lr.base_batch_size')
    parser.add_argument(
        '--no-pin-memory',
        action='store_true',
        help='no pin_memory in loaders')
    parser.add_argument(
        '--load-partial',
        action='store_true',
        help=(
            'let load_from leave weights of the model unset (by default every weight but a classifier head of another class count must be in it)'  # noqa: E501
        ))
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. train_cfg.max_epochs=10')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    if args.amp:
        cfg.optim_wrapper = amp_optim_wrapper(
            cfg.optim_wrapper, args.amp_dtype, scope=cfg.get('default_scope'))

    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise SystemExit(
                f'error: --resume checkpoint {args.resume!r} does not exist.')
        cfg.resume, cfg.load_from = True, args.resume

    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None

    if args.auto_scale_lr:
        scaling = cfg.get('auto_scale_lr') or {}
        if 'base_batch_size' not in scaling:
            raise SystemExit(
                'error: --auto-scale-lr needs auto_scale_lr.base_batch_size in the config (e.g. auto_scale_lr = dict(base_batch_size=1024)).'  # noqa: E501
            )
        cfg.auto_scale_lr.enable = True

    if args.no_pin_memory:
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'):
            if cfg.get(loader) is not None:
                cfg[loader]['pin_memory'] = False
    return cfg


def main():
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    setup_env(cfg, args.launcher, args.device)
    cfg = merge_args(cfg, args)
    check_data(cfg, ['train_dataloader', 'val_dataloader'])
    source = cfg.get('load_from')
    checked = source and not cfg.get('resume') and not args.load_partial
    if checked:  # a TNT release (official, timm, mmpretrain) is converted
        cfg.load_from, _, checkpoint = prepare_checkpoint(source, cfg.work_dir)
    runner = build_runner(cfg)
    if checked:
        check_runner_model(runner, checkpoint, source, head_may_differ=True)
    with checkpoint_loads(cfg.get('load_from')):
        runner.train()
    rank, world_size = get_dist_info()
    # Every rank reports, so a multi-process launch shows that all took part.
    print(
        f'[rank {rank}/{world_size}] training finished at epoch {runner.epoch}, iteration {runner.iter}; work dir: {runner.work_dir}',  # noqa: E501
        flush=True)
    finish()


if __name__ == '__main__':
    try:
        main()
    except USER_ERRORS as err:
        sys.exit(error_line(err))
