"""Convert a TNT checkpoint of any known origin into an mmtnt checkpoint.

    python tools/model_converters/tnt_to_mmtnt.py SRC DST

SRC may be an official release (tnt_s_81.5.pth.tar, tnt_b_82.9.pth.tar), a timm
checkpoint (either layout), an mmpretrain checkpoint or an mmtnt one; the
format is detected from the key names (mmtnt/checkpoint/formats.py). DST holds
{'state_dict': ..., 'meta': {...}} with ImageClassifier keys (backbone.*,
head.fc.*), loadable with `load_from`, `tools/test.py` or init_cfg. The layout
(official or legacy) is printed: build the model with the same `layout`.
"""
import argparse
import os.path as osp

from mmtnt.checkpoint import (CheckpointFormatError, convert_checkpoint,
                              read_checkpoint, save_mmtnt_checkpoint)


def main():
    parser = argparse.ArgumentParser(
        description='Convert a TNT checkpoint to mmtnt format')
    parser.add_argument('src', help='source checkpoint')
    parser.add_argument('dst', help='output checkpoint (.pth)')
    args = parser.parse_args()
    if not osp.isfile(args.src):
        raise SystemExit(f'error: {args.src!r} does not exist.')
    try:
        state_dict, fmt, layout = convert_checkpoint(read_checkpoint(args.src))
    except CheckpointFormatError as err:
        raise SystemExit(
            f'error: {args.src} is not a TNT checkpoint mmtnt knows: {err}')
    meta = dict(
        source=osp.basename(args.src), source_format=fmt, layout=layout)
    save_mmtnt_checkpoint(state_dict, meta, args.dst)
    print(f'{args.src}: {fmt} format, {layout} layout, {len(state_dict)} '
          f'tensors -> {args.dst}')
    if layout is not None:
        print(f"build the backbone with layout='{layout}'")


if __name__ == '__main__':
    main()
