"""Run a trained model on image files and write the pictures with its
predictions drawn.

    python tools/infer.py CONFIG CHECKPOINT IMAGE [IMAGE ...] --out-dir outputs
        [--score-thr 0.3]

Detection configs (default_scope mmdet) go through mmdet's DetInferencer, which
draws boxes, class names and scores with DetLocalVisualizer into OUT_DIR/vis/
and writes the predictions as json into OUT_DIR/preds/. Segmentation configs go
through mmseg's MMSegInferencer: the class colour overlay (SegLocalVisualizer)
goes to OUT_DIR/vis/, the label maps (PNG) to OUT_DIR/pred/. Classification
configs go through mmpretrain's ImageClassificationInferencer (label and score
drawn on the image). The config's test pipeline is used, so images of any size
work.
"""
import argparse
import os
import os.path as osp
import sys

import torch

from mmtnt.apis import get_inferencer
from mmtnt.runs import USER_ERRORS, checkpoint_loads, error_line, setup_env
from mmtnt.utils import load_config


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('images', nargs='+', help='image files')
    parser.add_argument(
        '--out-dir', default='outputs', help='where pictures are written')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=0.3,
        help='boxes below are not drawn')
    parser.add_argument(
        '--device',
        default=None,
        help="e.g. 'cpu', 'cuda:0'; default: the GPU where there is one")
    return parser.parse_args()


def main():
    args = parse_args()
    for path in [args.checkpoint] + args.images:
        if not osp.isfile(path):
            raise SystemExit(f'error: {path!r} does not exist.')
    cfg = load_config(args.config)
    # no --device: a GPU where CUDA works (a GPU machine whose CUDA does not
    # stops), else the CPU
    setup_env(cfg, 'none', {
        None: 'auto',
        'cpu': 'cpu'
    }.get(args.device, 'cuda'))
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    scope = cfg.get('default_scope', 'mmpretrain')
    # Every weight must come from the checkpoint (any TNT format); see
    # mmtnt.apis.get_model.
    with checkpoint_loads(args.checkpoint):
        inferencer = get_inferencer(cfg, args.checkpoint, device=device)
    if scope == 'mmdet':
        result = inferencer(
            args.images,
            out_dir=args.out_dir,
            pred_score_thr=args.score_thr,
            no_save_pred=False)
        for image, pred in zip(args.images, result['predictions']):
            kept = sum(s >= args.score_thr for s in pred['scores'])
            print(f'{image}: {kept} boxes with score >= {args.score_thr}')
    elif scope == 'mmseg':
        result = inferencer(
            args.images,
            out_dir=args.out_dir,
            img_out_dir='vis',
            pred_out_dir='pred')
        preds = result['predictions']
        classes = inferencer.model.dataset_meta['classes']
        for image, pred in zip(args.images,
                               preds if isinstance(preds, list) else [preds]):
            found = ', '.join(
                classes[i] for i in sorted(set(pred.flatten().tolist()))[:8])
            print(f'{image}: {found}')
    else:
        vis_dir = osp.join(args.out_dir, 'vis')
        os.makedirs(
            vis_dir, exist_ok=True)  # mmpretrain creates only the last folder
        for image, pred in zip(args.images,
                               inferencer(args.images, show_dir=vis_dir)):
            name = pred.get('pred_class',
                            f'class {pred["pred_label"]}')  # no names in ckpt
            print(f'{image}: {name} {pred["pred_score"]:.3f}')
    print(f'pictures written under {osp.join(args.out_dir, "vis")}')


if __name__ == '__main__':
    try:
        main()
    except USER_ERRORS as err:
        sys.exit(error_line(err))
