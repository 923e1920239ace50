"""Parameters and FLOPs of a config's model, counting matmuls, attention and LayerNorm.

    python tools/analysis_tools/get_flops.py CONFIG [--shape 224 224] [--cfg-options ...]

Uses mmengine's FlopAnalyzer (fvcore's rules: one multiply-add = one FLOP, the convention of
the TNT paper and timm's GMACs) plus a rule it lacks: fused scaled-dot-product attention,
counted as its two matmuls (q @ k^T and attn @ v), which is how mmtnt runs attention. mmcv's
counter (and mmpretrain's metafile: 3.36 G for TNT-S) skips those matmuls and LayerNorm.
"""
import argparse
from math import prod

from mmtnt.utils import load_config, setup_env


def sdpa_flop_jit(inputs, outputs):
    """(B, H, N, d) q with (B, H, S, d) k and (B, H, S, e) v: N*S*d + N*S*e per (B, H)."""
    from mmengine.analysis.jit_handles import get_shape
    q, k, v = (get_shape(x) for x in inputs[:3])
    batch = prod(q[:-2])
    return batch * q[-2] * k[-2] * (q[-1] + v[-1])


def data_samples(scope, shape):
    """Detectors need each image's meta (sizes, scale) even in tensor mode."""
    if scope != 'mmdet':
        return None
    from mmdet.structures import DetDataSample
    sample = DetDataSample(metainfo=dict(img_shape=shape, ori_shape=shape, pad_shape=shape,
                                         batch_input_shape=shape, scale_factor=(1., 1.)))
    return [sample]


def count(model, shape, scope='mmpretrain'):
    """Return (flops, params) of ``model`` for one (3, H, W) image in tensor mode."""
    import torch
    from mmengine.analysis import FlopAnalyzer, parameter_count

    class TensorMode(torch.nn.Module):
        def __init__(self, m, samples):
            super().__init__()
            self.m = m
            self.samples = samples

        def forward(self, x):
            return self.m(x, self.samples, mode='tensor')

    model.eval()
    # Count the function, not the implementation: folded inner attention (mmtnt's faster way
    # to compute the same attention) would add its weight products and wider GEMMs.
    folded = [m for m in model.modules() if getattr(m, 'fold_heads', False)]
    for m in folded:
        m.fold_heads = False
    try:
        analyzer = FlopAnalyzer(TensorMode(model, data_samples(scope, shape)),
                                torch.zeros(1, 3, *shape))
        analyzer.set_op_handle('aten::scaled_dot_product_attention', sdpa_flop_jit)
        analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        return analyzer.total(), parameter_count(model)['']
    finally:
        for m in folded:
            m.fold_heads = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--shape', type=int, nargs='+', default=[224, 224], help='H [W]')
    parser.add_argument('--cfg-options', nargs='+', action=__import__('mmengine.config')
                        .config.DictAction)
    args = parser.parse_args()
    shape = tuple(args.shape * 2 if len(args.shape) == 1 else args.shape)
    cfg = load_config(args.config, args.cfg_options)
    setup_env(cfg, 'none')
    from mmengine.registry import MODELS, init_default_scope
    scope = cfg.get('default_scope', 'mmpretrain')
    init_default_scope(scope)
    model = MODELS.build(cfg.model)
    flops, params = count(model, shape, scope)
    print(f'{"=" * 40}\nconfig: {args.config}\ninput shape: (3, {shape[0]}, {shape[1]})\n'
          f'flops: {flops / 1e9:.2f} G\nparams: {params / 1e6:.2f} M\n{"=" * 40}')


if __name__ == '__main__':
    main()
