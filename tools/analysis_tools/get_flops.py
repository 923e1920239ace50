"""Parameters and FLOPs of a config's model, counting matmuls, attention and
LayerNorm.

    python tools/analysis_tools/get_flops.py CONFIG [--shape 224 224]
        [--cfg-options ...]

Uses mmengine's FlopAnalyzer (fvcore's rules: one multiply-add = one FLOP, the
convention of the TNT paper and timm's GMACs) plus a rule it lacks: fused
scaled-dot-product attention, counted as its two matmuls (q @ k^T and attn @
v), which is how mmtnt runs attention. mmcv's counter (and mmpretrain's
metafile: 3.36 G for TNT-S) skips those matmuls and LayerNorm.
"""
import argparse
import sys

from mmengine.config import DictAction
from mmengine.registry import MODELS, init_default_scope

from mmtnt.runs import USER_ERRORS, error_line, setup_env
from mmtnt.utils import load_config
from mmtnt.utils.complexity import count_flops


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument(
        '--shape', type=int, nargs='+', default=[224, 224], help='H [W]')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    shape = tuple(args.shape * 2 if len(args.shape) == 1 else args.shape)
    cfg = load_config(args.config, args.cfg_options)
    setup_env(cfg, 'none', 'cpu')  # counts on CPU
    scope = cfg.get('default_scope', 'mmpretrain')
    init_default_scope(scope)
    model = MODELS.build(cfg.model)
    flops, params = count_flops(model, shape, scope)
    print(
        f'{"=" * 40}\nconfig: {args.config}\ninput shape: (3, {shape[0]}, {shape[1]})\nflops: {flops / 1e9:.2f} G\nparams: {params / 1e6:.2f} M\n{"=" * 40}'  # noqa: E501
    )


if __name__ == '__main__':
    try:
        main()
    except USER_ERRORS as err:
        sys.exit(error_line(err))
