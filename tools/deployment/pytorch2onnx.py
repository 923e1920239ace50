"""Export an mmtnt classifier, detector or segmentor to ONNX and check it with
onnxruntime.

    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT \
        --out model.onnx [--dynamic-batch] [--dynamic-hw] [--opset 20] \
        [--exporter dynamo] \
        [--img-size 224 224] [--verify IMAGE]

The graph takes the data preprocessor's output (normalised (B, 3, H, W)) and
returns a classifier's logits, or a detector's or segmentor's raw head
outputs (a two-stage detector writes a second file, MODEL.roi_head.onnx);
tools/deployment/test_onnx.py evaluates it. --verify runs the image through
the config's test pipeline and prints the largest difference between the
outputs of torch and of onnxruntime (docs/deployment.md).
"""
import argparse
import os.path as osp
import sys

from mmtnt.apis import (export_onnx, get_inferencer, get_model,
                        onnx_max_difference)
from mmtnt.runs import USER_ERRORS, checkpoint_loads, error_line
from mmtnt.utils import load_config


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', required=True, help='the .onnx file')
    parser.add_argument('--dynamic-batch', action='store_true')
    parser.add_argument('--dynamic-hw', action='store_true')
    parser.add_argument('--opset', type=int, default=20)
    parser.add_argument(
        '--exporter', choices=['dynamo', 'torchscript'], default='dynamo')
    parser.add_argument(
        '--img-size',
        type=int,
        nargs=2,
        default=None,
        metavar=('H', 'W'),
        help="traced input size; default: the backbone's img_size")
    parser.add_argument(
        '--verify',
        metavar='IMAGE',
        help='compare torch and onnxruntime on this image')
    return parser.parse_args()


def preprocessed(config, checkpoint, image):
    """``image`` through the config's test pipeline and data preprocessor:
    the graph's input, (1, 3, H, W)."""
    inferencer = get_inferencer(config, checkpoint)
    data = next(iter(inferencer.preprocess([image], batch_size=1)))
    if isinstance(data, (list, tuple)):  # mmdet's: (images, data)
        data = data[-1]
    return inferencer.model.data_preprocessor(data, False)['inputs']


def main():
    args = parse_args()
    for path in (args.config, args.checkpoint, args.verify):
        if path is not None and not osp.isfile(path):
            raise SystemExit(f'error: {path!r} does not exist.')
    cfg = load_config(args.config)
    with checkpoint_loads(args.checkpoint):
        model = get_model(cfg, args.checkpoint).eval()
    size = args.img_size or cfg.model.backbone.get('img_size', 224)
    size = (size, size) if isinstance(size, int) else tuple(size)
    export_onnx(
        model,
        args.out,
        img_size=size,
        dynamic_batch=args.dynamic_batch,
        dynamic_hw=args.dynamic_hw,
        opset=args.opset,
        exporter=args.exporter)
    print(f'wrote {args.out} ({args.exporter} exporter, opset {args.opset})')
    if args.verify:
        with checkpoint_loads(args.checkpoint):
            images = preprocessed(cfg, args.checkpoint, args.verify)
        diff = onnx_max_difference(model, args.out, images)
        print(
            f'{args.verify} {tuple(images.shape)}: largest difference between torch and onnxruntime outputs {diff:.2e}'  # noqa: E501
        )


if __name__ == '__main__':
    try:
        main()
    except USER_ERRORS as err:
        sys.exit(error_line(err))
