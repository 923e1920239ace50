"""t-SNE of a TNT block's features over a dataset split (Fig. 3b), with a
progress bar.

    python tools/visualization/vis_tsne.py CONFIG CHECKPOINT --out-file F.png
        [--split test] [--block 12] [--points samples|channels] [--max-samples
        1000]

``samples``: one point per image (its class token), coloured by its label.
``channels``: the paper's Fig. 3(b), one point per feature channel, described
by its values over the patches of all images. The dataset and preprocessing are
the config's ``{split}_dataloader``; the embedding is scikit-learn's TSNE.
"""
import argparse
import os.path as osp
import sys

import matplotlib
import matplotlib.pyplot as plt
import torch
from figure_cli import done
from mmengine.config import DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmengine.utils import ProgressBar
from sklearn.manifold import TSNE

from mmtnt.apis import get_model
from mmtnt.runs import USER_ERRORS, check_data, error_line
from mmtnt.utils import load_config
from mmtnt.visualization import TNTProbe
from mmtnt.visualization.figures import DPI, save
from mmtnt.visualization.loading import init_quietly


def features(backbone, model, loader, block, max_samples, points):

    feats, labels = [], []
    total = min(max_samples, len(loader.dataset))
    bar = ProgressBar(
        total, file=sys.stdout)  # the current stdout, not the one at import
    with TNTProbe(backbone, tokens=True) as probe:
        for data in loader:
            batch = model.data_preprocessor(data, False)
            probe.run(batch['inputs'])
            tokens = probe.sentences[block]
            feats.append(tokens[:, 0] if points == 'samples' else tokens[:,
                                                                         1:])
            for _ in range(min(tokens.shape[0], total - len(labels))):
                bar.update()
            labels += [int(s.gt_label) for s in batch['data_samples']]
            if len(labels) >= max_samples:
                break
    print()
    feats = torch.cat(feats)[:max_samples]
    labels = labels[:max_samples]
    if points == 'channels':
        feats = feats.flatten(0, 1).T  # (D, images * patches)
    return feats.numpy(), labels


def main(argv=None):
    matplotlib.use('Agg')  # this tool writes files; it opens no window

    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint', help="any TNT checkpoint, or 'random'")
    p.add_argument('--out-file', required=True)
    p.add_argument('--split', choices=['train', 'val', 'test'], default='test')
    p.add_argument(
        '--block',
        type=int,
        default=None,
        help='1-based block (default: the last)')
    p.add_argument(
        '--points', choices=['samples', 'channels'], default='samples')
    p.add_argument('--max-samples', type=int, default=1000)
    p.add_argument('--perplexity', type=float, default=30.)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--device', default='cpu')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    args = p.parse_args(argv)

    cfg = load_config(args.config, args.cfg_options)
    checkpoint = None if args.checkpoint == 'random' else args.checkpoint
    if checkpoint is not None and not osp.isfile(checkpoint):
        sys.exit(
            f"error: checkpoint {checkpoint} does not exist (or pass 'random')."  # noqa: E501
        )
    check_data(cfg, [f'{args.split}_dataloader'])
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model = get_model(cfg, checkpoint, device=args.device)
    if checkpoint is None:
        init_quietly(model)
    model.eval()
    backbone = model.backbone
    n = len(backbone.blocks)
    block = (args.block or n) - 1
    if not 0 <= block < n:
        sys.exit(
            f'error: --block {args.block} is out of range: the model has blocks 1..{n}.'  # noqa: E501
        )
    loader = Runner.build_dataloader(cfg[f'{args.split}_dataloader'])
    feats, labels = features(backbone, model, loader, block, args.max_samples,
                             args.points)
    if len(feats) < 3:
        sys.exit(
            f'error: t-SNE needs at least 3 points, the {args.split} split gave {len(feats)}.'  # noqa: E501
        )
    perplexity = min(args.perplexity, len(feats) - 1)
    emb = TSNE(
        perplexity=perplexity, init='pca',
        random_state=args.seed).fit_transform(feats)
    fig = plt.figure(figsize=(6, 6), dpi=DPI)
    if args.points == 'samples':
        plt.scatter(emb[:, 0], emb[:, 1], c=labels, cmap='tab10', s=8)
        plt.colorbar(label='class')
    else:
        plt.scatter(emb[:, 0], emb[:, 1], s=8)
    plt.title(
        f't-SNE of block {block + 1} ({args.points}, {len(feats)} points)',
        fontsize=9)
    done(save(fig, args.out_file))


if __name__ == '__main__':
    try:
        main()
    except USER_ERRORS as err:
        sys.exit(error_line(err))
