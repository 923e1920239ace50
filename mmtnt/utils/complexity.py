"""Parameters and FLOPs of a model, counting matmuls, attention and
LayerNorm (mmengine's FlopAnalyzer plus a rule for fused attention)."""
from math import prod

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.analysis.jit_handles import get_shape


def sdpa_flop_jit(inputs, outputs):
    """(B, H, N, d) q with (B, H, S, d) k and (B, H, S, e) v: N*S*d + N*S*e per
    (B, H).
    """
    q, k, v = (get_shape(x) for x in inputs[:3])
    batch = prod(q[:-2])
    return batch * q[-2] * k[-2] * (q[-1] + v[-1])


def data_samples(scope, shape):
    """Detectors need each image's meta (sizes, scale) even in tensor mode."""
    if scope != 'mmdet':
        return None
    from mmdet.structures import DetDataSample  # detectors only: mmdet loads
    sample = DetDataSample(
        metainfo=dict(
            img_shape=shape,
            ori_shape=shape,
            pad_shape=shape,
            batch_input_shape=shape,
            scale_factor=(1., 1.)))
    return [sample]


def count_flops(model, shape, scope='mmpretrain'):
    """FLOPs and parameters of ``model`` for one (3, H, W) image.

    Args:
        model (nn.Module): A classifier, detector or segmentor (run in
            ``mode='tensor'``).
        shape (tuple[int, int]): Input (H, W).
        scope (str): The model's toolbox; detectors get image metas.

    Returns:
        tuple[int, int]: (FLOPs, parameters); one multiply-add is one FLOP.
    """

    class TensorMode(torch.nn.Module):

        def __init__(self, m, samples):
            super().__init__()
            self.m = m
            self.samples = samples

        def forward(self, x):
            return self.m(x, self.samples, mode='tensor')

    model.eval()
    # Count the function, not the implementation: folded inner attention
    # (mmtnt's faster way to compute the same attention) would add its weight
    # products and wider GEMMs.
    folded = [m for m in model.modules() if getattr(m, 'fold_heads', False)]
    for m in folded:
        m.fold_heads = False
    try:
        analyzer = FlopAnalyzer(
            TensorMode(model, data_samples(scope, shape)),
            torch.zeros(1, 3, *shape))
        analyzer.set_op_handle('aten::scaled_dot_product_attention',
                               sdpa_flop_jit)
        analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(
            False)
        return analyzer.total(), parameter_count(model)['']
    finally:
        for m in folded:
            m.fold_heads = True
