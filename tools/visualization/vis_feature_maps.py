"""Feature maps of blocks 1/6/12: randomly chosen channels of the sentence
tokens (Fig. 3a).

    python tools/visualization/vis_feature_maps.py CONFIG CHECKPOINT IMG
        --out-file F.png [--blocks 1 6 12] [--channels 12] [--seed 0] [--size
        1024]

The paper resizes the image to 1024x1024 for this figure; that is the default
here.
"""
import matplotlib
import numpy as np
from figure_cli import block_indices, blocks_arg, done, load, parser

from mmtnt.visualization import TNTProbe, draw_feature_maps
from mmtnt.visualization.figures import save


def main(argv=None):
    matplotlib.use('Agg')  # this tool writes files; it opens no window
    p = parser(__doc__.split('\n\n')[0], default_size=1024)
    blocks_arg(p, [1, 6, 12])
    p.add_argument(
        '--channels', type=int, default=12, help='channels drawn per block')
    p.add_argument(
        '--seed', type=int, default=0, help='seed of the channel sample')
    args = p.parse_args(argv)
    backbone, inputs, rgbs = load(args)
    blocks = block_indices(args, backbone)

    width = backbone.embed_dims
    if not 1 <= args.channels <= width:
        p.error(f'--channels {args.channels}: the model has {width} channels.')
    channels = sorted(
        np.random.default_rng(args.seed).choice(
            width, args.channels, replace=False).tolist())
    with TNTProbe(backbone, tokens=True) as probe:
        probe.run(inputs)
    done(save(draw_feature_maps(probe, 0, blocks, channels), args.out_file))


if __name__ == '__main__':
    main()
