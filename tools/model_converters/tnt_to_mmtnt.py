"""Convert a TNT checkpoint of any known origin into an mmtnt checkpoint.

    python tools/model_converters/tnt_to_mmtnt.py SRC DST

SRC may be an official release (tnt_s_81.5.pth.tar, tnt_b_82.9.pth.tar, a
PyramidTNT file), a timm checkpoint (either layout), an mmpretrain checkpoint
or an mmtnt one; the format is detected from the key names
(mmtnt/checkpoint/formats.py). A PyramidTNT file must fill the variant its
widths name: one with a tensor missing is refused. DST holds
{'state_dict': ..., 'meta': {...}} with ImageClassifier keys (backbone.*,
head.fc.*), loadable with `load_from`, `tools/test.py` or init_cfg. The layout
(official or legacy) is printed: build the model with the same `layout`.
"""
import argparse
import os.path as osp

from mmtnt.checkpoint import (CheckpointFormatError, convert_checkpoint,
                              fit_state_dict, read_checkpoint,
                              save_mmtnt_checkpoint, strip_prefix)

PYRAMID_WIDTHS = {80: 'ti', 128: 's', 192: 'm', 256: 'b'}


def check_pyramid_release(state_dict, where):
    """Raise CheckpointFormatError unless the PyramidTNT ``state_dict``
    (classifier keys) fills the variant of its first-stage width."""
    from mmtnt.models.backbones import PyramidTNT  # builds mmpretrain's zoo
    backbone = strip_prefix(state_dict, 'backbone.', keep_others=False)
    width = getattr(backbone.get('outer_pos'), 'shape', (None, ))[-1]
    if width not in PYRAMID_WIDTHS:
        raise CheckpointFormatError(
            f'{where}: outer_pos gives a first-stage width of {width}, which is no PyramidTNT variant (Ti 80, S 128, M 192, B 256).'  # noqa: E501
        )
    fit_state_dict(
        PyramidTNT(arch=PYRAMID_WIDTHS[width]),
        backbone,
        where,
        hint='The file is incomplete.')


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
    if fmt == 'pyramid_tnt':
        try:
            check_pyramid_release(state_dict, args.src)
        except CheckpointFormatError as err:
            raise SystemExit(f'error: {err}')
    meta = dict(
        source=osp.basename(args.src), source_format=fmt, layout=layout)
    save_mmtnt_checkpoint(state_dict, meta, args.dst)
    print(
        f'{args.src}: {fmt} format, {layout} layout, {len(state_dict)} tensors -> {args.dst}'  # noqa: E501
    )
    if layout is not None:
        print(f"build the backbone with layout='{layout}'")


if __name__ == '__main__':
    main()
