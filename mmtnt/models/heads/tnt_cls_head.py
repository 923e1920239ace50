import torch.nn as nn
from mmpretrain.models.heads import ClsHead

from mmtnt.registry import MODELS


@MODELS.register_module()
class TNTClsHead(ClsHead):
    """Linear classifier on the class token or on mean-pooled sentence tokens.

    Takes the last backbone output; (B, 1+N, D) tokens (backbone
    ``out_type='raw'``) are pooled here, (B, D) vectors are used as they are.
    Losses, label smoothing and mixup/cutmix soft targets come from
    mmpretrain's :class:`ClsHead`. ``pre_logits`` gives the pooled feature.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Feature width ``D``.
        pool (str): ``'cls'`` (class token, the paper's choice) or ``'avg'``
            (mean of the sentence tokens). Defaults to ``'cls'``.
        dropout (float): Dropout before the classifier. Defaults to 0.
        init_cfg (dict): Defaults to truncated normal (std .02) on the
            classifier.
        **kwargs: Passed to :class:`mmpretrain.models.heads.ClsHead` (``loss``,
            ``topk``, ``cal_acc``).
    """

    def __init__(self,
                 num_classes,
                 in_channels,
                 pool='cls',
                 dropout=0.,
                 init_cfg=dict(
                     type='TruncNormal', layer='Linear', std=.02, bias=0.),
                 **kwargs):
        super().__init__(init_cfg=init_cfg, **kwargs)
        if pool not in ('cls', 'avg'):
            raise ValueError(
                f"TNTClsHead: pool must be 'cls' or 'avg', got {pool!r}.")
        self.pool = pool
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(in_channels, num_classes)

    def pre_logits(self, feats):
        feat = feats[-1]
        if feat.dim() == 3:
            feat = feat[:, 0] if self.pool == 'cls' else feat[:,
                                                              1:].mean(dim=1)
        return feat

    def forward(self, feats):
        return self.fc(self.dropout(self.pre_logits(feats)))
