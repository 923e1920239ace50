"""Class-token attention over the image, one row per image (Fig. 7); --rollout
for rollout.

    python tools/visualization/vis_cls_attention.py CONFIG CHECKPOINT IMG
        [IMG ...] --out-file F.png [--block 12] [--rollout]
"""
import sys

import matplotlib
from figure_cli import done, load, parser

from mmtnt.visualization import TNTProbe, draw_cls_attention
from mmtnt.visualization.figures import save


def main(argv=None):
    matplotlib.use('Agg')  # this tool writes files; it opens no window
    p = parser(__doc__.split('\n\n')[0], several_images=True)
    p.add_argument(
        '--block',
        type=int,
        default=None,
        help='1-based block whose attention is shown (default: the last)')
    p.add_argument(
        '--rollout',
        action='store_true',
        help='attention rollout through all blocks (Abnar & Zuidema, 2020)')
    args = p.parse_args(argv)
    backbone, inputs, rgbs = load(args)
    n = len(backbone.blocks)
    block = (args.block or n) - 1
    if not 0 <= block < n:
        sys.exit(
            f'error: --block {args.block} is out of range: the model has blocks 1..{n}.'  # noqa: E501
        )
    with TNTProbe(backbone, outer=True) as probe:
        probe.run(inputs)
    done(
        save(
            draw_cls_attention(rgbs, probe, block, args.rollout),
            args.out_file))


if __name__ == '__main__':
    main()
