"""Each patch's visual words at their positions, averaged over channels, per
block (Fig. 4).

    python tools/visualization/vis_word_embeddings.py CONFIG CHECKPOINT IMG
        --out-file F.png [--blocks 1 6 12]
"""
import matplotlib
from figure_cli import block_indices, blocks_arg, done, load, parser

from mmtnt.visualization import TNTProbe, draw_word_embeddings
from mmtnt.visualization.figures import save


def main(argv=None):
    matplotlib.use('Agg')  # this tool writes files; it opens no window
    p = parser(__doc__.split('\n\n')[0])
    blocks_arg(p, [1, 6, 12])
    args = p.parse_args(argv)
    backbone, inputs, rgbs = load(args)
    blocks = block_indices(args, backbone)
    with TNTProbe(backbone, tokens=True) as probe:
        probe.run(inputs)
    done(save(draw_word_embeddings(rgbs[0], probe, 0, blocks), args.out_file))


if __name__ == '__main__':
    main()
