"""Loss and accuracy curves (PNG) from work dirs' logs, drawn by mmpretrain's
own plotter.

    python tools/analysis_tools/analyze_logs.py WORK_DIR_OR_SCALARS_JSON [...]
        --out-dir DIR [--keys loss accuracy/top1] [--legend A B]

Takes a work dir (its newest ``*/vis_data/scalars.json``, which mmengine's
LocalVisBackend writes) or the json itself, and writes one picture per key,
every run as one curve. The parsing (``mmpretrain.utils.load_json_log``) and
the drawing (``plot_curve`` of mmpretrain's
``tools/analysis_tools/analyze_logs.py``, installed with mmpretrain under
``.mim``) are mmpretrain's; this file only finds the logs and names the
outputs.
"""
import argparse
import glob
import importlib.util
import os
import os.path as osp
import sys

import matplotlib
import matplotlib.pyplot as plt
import mmpretrain
from mmpretrain.utils import load_json_log


def find_scalars(path):
    if path.endswith('.json'):
        if not osp.isfile(path):
            sys.exit(f'error: log {path} does not exist.')
        return path
    found = sorted(glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
    if not found:
        sys.exit(
            f'error: no */vis_data/scalars.json under {path}; pass a work dir that tools/train.py wrote, or the json file itself.'  # noqa: E501
        )
    return found[-1]


def mmpretrain_plotter():
    path = osp.join(
        osp.dirname(mmpretrain.__file__), '.mim', 'tools', 'analysis_tools',
        'analyze_logs.py')
    spec = importlib.util.spec_from_file_location('mmpretrain_analyze_logs',
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None):
    matplotlib.use('Agg')  # this tool writes files; it opens no window
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        'logs', nargs='+', help='work dirs or scalars.json files')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--keys', nargs='+', default=['loss', 'accuracy/top1'])
    parser.add_argument(
        '--legend', nargs='+', default=None, help='one name per log')
    args = parser.parse_args(argv)

    paths = [find_scalars(p) for p in args.logs]
    if args.legend and len(args.legend) != len(paths):
        parser.error(
            f'--legend has {len(args.legend)} names for {len(paths)} logs.')
    logs = [load_json_log(p) for p in paths]
    plotter = mmpretrain_plotter()
    os.makedirs(args.out_dir, exist_ok=True)
    for key in args.keys:
        out = osp.join(args.out_dir, key.replace('/', '_') + '.png')
        legend = [f'{name}_{key}'
                  for name in args.legend] if args.legend else None
        plot_args = argparse.Namespace(
            keys=[key],
            legend=legend,
            json_logs=paths,
            style='whitegrid',
            window_size='8*5',
            title=key,
            out=out)
        try:
            plotter.plot_curve(logs, plot_args)
        except ValueError as err:
            sys.exit(f'error: {err}')
        plt.close('all')
    print(f'wrote {len(args.keys)} curves to {args.out_dir}')


if __name__ == '__main__':
    main()
