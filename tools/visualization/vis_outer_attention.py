"""Outer attention between all patches and for one query patch, per block (Fig.
6).

    python tools/visualization/vis_outer_attention.py CONFIG CHECKPOINT IMG
        --out-file F.png [--patch ROW COL] [--blocks 1 6 12]
"""
import matplotlib
from figure_cli import block_indices, blocks_arg, done, load, parser

from mmtnt.visualization import TNTProbe, draw_outer_attention
from mmtnt.visualization.figures import save


def main(argv=None):
    matplotlib.use('Agg')  # this tool writes files; it opens no window
    p = parser(__doc__.split('\n\n')[0])
    blocks_arg(p, [1, 6, 12])
    p.add_argument(
        '--patch',
        type=int,
        nargs=2,
        metavar=('ROW', 'COL'),
        help='query patch; default: the centre one')
    args = p.parse_args(argv)
    backbone, inputs, rgbs = load(args)
    blocks = block_indices(args, backbone)
    with TNTProbe(backbone, outer=True) as probe:
        probe.run(inputs)
    gh, gw = probe.grid
    patch = args.patch or (gh // 2, gw // 2)
    if not (0 <= patch[0] < gh and 0 <= patch[1] < gw):
        p.error(
            f'--patch {patch[0]} {patch[1]} is outside the {gh}x{gw} patch grid.'  # noqa: E501
        )
    fig = draw_outer_attention(rgbs[0], probe, 0, patch, blocks,
                               backbone.patch_size)
    done(save(fig, args.out_file))


if __name__ == '__main__':
    main()
