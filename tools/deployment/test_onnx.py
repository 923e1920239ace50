"""Evaluate an ONNX model (tools/deployment/pytorch2onnx.py) on a config's
test set with the config's evaluator, as tools/test.py does for a checkpoint.

    python tools/deployment/test_onnx.py CONFIG MODEL.onnx [--work-dir DIR]
        [--out results.pkl] [--cfg-options k=v ...]

The network runs in onnxruntime (CPU); the config's data pipeline, data
preprocessor and the toolbox's post-processing (scores, box decoding and NMS,
sliding window) run in torch, so the printed metrics are comparable with
tools/test.py's for the weights the graph was exported from.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction
from mmengine.evaluator import DumpResults

from mmtnt.deploy import OnnxModel
from mmtnt.runs import (USER_ERRORS, build_runner, check_data, error_line,
                        setup_env)
from mmtnt.utils import load_config


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('onnx', help='the .onnx file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument('--out', help='dump predictions to this pickle file')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. test_dataloader.batch_size=8')
    return parser.parse_args()


def main():
    args = parse_args()
    if not osp.isfile(args.onnx):
        raise SystemExit(f'error: ONNX file {args.onnx!r} does not exist.')
    if args.out and not args.out.endswith(('.pkl', '.pickle')):
        raise SystemExit(
            f'error: --out {args.out!r} must end with .pkl or .pickle.')
    cfg = load_config(args.config, args.cfg_options)
    setup_env(cfg, 'none', 'cpu')  # onnxruntime's CPU provider
    cfg.work_dir = args.work_dir or osp.join(
        './work_dirs',
        osp.splitext(osp.basename(args.config))[0] + '_onnx')
    check_data(cfg, ['test_dataloader'])
    runner = build_runner(cfg)
    # The torch model stays for its preprocessing and post-processing; its
    # network is the graph.
    try:
        runner.model = OnnxModel(runner.model, args.onnx)
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(f'error: {err}')
    if args.out:
        runner.test_evaluator.metrics.append(
            DumpResults(out_file_path=args.out))
    runner.logger.info(f'mmtnt: evaluating {args.onnx} in onnxruntime')
    return runner.test()


if __name__ == '__main__':
    try:
        main()
    except USER_ERRORS as err:
        sys.exit(error_line(err))
