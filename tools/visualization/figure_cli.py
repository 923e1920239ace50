"""Arguments shared by the figure commands beside this file: CONFIG
CHECKPOINT IMAGE... --out-file; bad input exits with one line."""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

from mmtnt.utils import ConfigError, load_config
from mmtnt.visualization.loading import load_backbone_and_images


def parser(description, default_size=224, several_images=False):
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        'config', help='model config (classification; any TNT backbone)')
    p.add_argument(
        'checkpoint',
        help=(
            "checkpoint in any TNT format, or 'random' for a randomly initialised model"  # noqa: E501
        ))
    p.add_argument(
        'images', nargs='+' if several_images else 1, help='image file(s)')
    p.add_argument('--out-file', required=True, help='PNG to write')
    p.add_argument(
        '--size',
        type=int,
        default=default_size,
        help=f'square input size (default {default_size})')
    p.add_argument('--device', default='cpu')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    return p


def blocks_arg(p, default):
    p.add_argument(
        '--blocks',
        type=int,
        nargs='+',
        default=default,
        help=f'1-based block numbers as in the paper (default {default})')


def load(args):
    """(backbone, inputs, rgbs) for parsed ``args``; exits with one line on bad
    input.
    """
    try:
        cfg = load_config(args.config, args.cfg_options)
    except ConfigError as err:
        sys.exit(f'error: {err}')
    checkpoint = None if args.checkpoint == 'random' else args.checkpoint
    if checkpoint is not None and not osp.isfile(checkpoint):
        sys.exit(
            f"error: checkpoint {checkpoint} does not exist (pass 'random' for a randomly initialised model)."  # noqa: E501
        )
    try:
        return load_backbone_and_images(cfg, checkpoint, args.images,
                                        args.size, args.device)
    except (ValueError, FileNotFoundError) as err:
        sys.exit(f'error: {err}')


def block_indices(args, backbone, need_inner=False):
    """0-based indices of ``args.blocks``; exits naming a block out of range or
    without words.
    """
    n = len(backbone.blocks)
    out = []
    for b in args.blocks:
        if not 1 <= b <= n:
            sys.exit(
                f'error: --blocks {b} is out of range: the model has blocks 1..{n}.'  # noqa: E501
            )
        if need_inner and not backbone.blocks[b - 1].has_inner:
            sys.exit(
                f'error: --blocks {b} has no inner transformer (inner_block_indices).'  # noqa: E501
            )
        out.append(b - 1)
    return out


def done(path):
    print(f'wrote {path}')
