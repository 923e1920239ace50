"""Inner attention of a query word over the words of its patch, per block and
head (Fig. 5).

    python tools/visualization/vis_inner_attention.py CONFIG CHECKPOINT IMG
        --out-file F.png [--patch ROW COL] [--query WORD] [--blocks 1 6 12]
"""
import matplotlib
from figure_cli import block_indices, blocks_arg, done, load, parser

from mmtnt.visualization import TNTProbe, draw_inner_attention
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
        help='patch (sentence) to look into; default: the centre one')
    p.add_argument(
        '--query',
        type=int,
        default=None,
        help=(
            'query word inside the patch, row-major (default: the centre word)'  # noqa: E501
        ))
    args = p.parse_args(argv)
    backbone, inputs, rgbs = load(args)
    blocks = block_indices(args, backbone, need_inner=True)
    with TNTProbe(backbone, inner=True) as probe:
        probe.run(inputs)
    gh, gw = probe.grid
    patch = args.patch or (gh // 2, gw // 2)
    if not (0 <= patch[0] < gh and 0 <= patch[1] < gw):
        p.error(
            f'--patch {patch[0]} {patch[1]} is outside the {gh}x{gw} patch grid.'  # noqa: E501
        )
    m = backbone.num_words
    side = int(m**0.5)
    query = args.query if args.query is not None else (side //
                                                       2) * side + side // 2
    if not 0 <= query < m:
        p.error(
            f'--query {query} is not a word index: a patch has {m} words (0..{m - 1}).'  # noqa: E501
        )
    fig = draw_inner_attention(rgbs[0], probe, 0, patch, query, blocks,
                               backbone.patch_size)
    done(save(fig, args.out_file))


if __name__ == '__main__':
    main()
