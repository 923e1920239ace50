"""Convert a TNT checkpoint of any known origin into an mmtnt checkpoint.

    python tools/model_converters/tnt_to_mmtnt.py SRC DST

SRC may be an official release (tnt_s_81.5.pth.tar, tnt_b_82.9.pth.tar), a timm
checkpoint (either layout), an mmpretrain checkpoint or an mmtnt one; the
format is detected from the key names (mmtnt/checkpoint.py). DST holds
{'state_dict': ..., 'meta': {...}} with ImageClassifier keys (backbone.*,
head.fc.*), loadable with `load_from`, `tools/test.py` or init_cfg. The layout
(official or legacy) is printed: build the model with the same `layout`.
"""
import argparse
import os
import os.path as osp

import torch

from mmtnt.checkpoint import CheckpointFormatError, load_tnt_checkpoint


def main():
    parser = argparse.ArgumentParser(
        description='Convert a TNT checkpoint to mmtnt format')
    parser.add_argument('src', help='source checkpoint')
    parser.add_argument('dst', help='output checkpoint (.pth)')
    args = parser.parse_args()
    if not osp.isfile(args.src):
        raise SystemExit(f'error: {args.src!r} does not exist.')
    try:
        state_dict, fmt, layout = load_tnt_checkpoint(args.src)
    except CheckpointFormatError as err:
        raise SystemExit(
            f'error: {args.src} is not a TNT checkpoint mmtnt knows: {err}')
    except Exception as err:  # not a torch file at all
        raise SystemExit(
            f'error: {args.src} could not be read as a PyTorch checkpoint '
            f'({err}).')
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    tmp = args.dst + '.tmp'
    torch.save(
        {
            'state_dict':
            state_dict,
            'meta':
            dict(
                source=osp.basename(args.src),
                source_format=fmt,
                layout=layout)
        }, tmp)
    os.replace(tmp, args.dst)
    print(f'{args.src}: {fmt} format, {layout} layout, {len(state_dict)} '
          f'tensors -> {args.dst}')
    if layout is not None:
        print(f"build the backbone with layout='{layout}'")


if __name__ == '__main__':
    main()
