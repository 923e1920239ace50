import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmtnt.models import TNTClsHead
from mmtnt.registry import MODELS


def samples(n, num_classes, soft=False):
    out = []
    for i in range(n):
        s = DataSample().set_gt_label(i % num_classes)
        if soft:  # what mmpretrain's Mixup/CutMix leave behind
            s.set_gt_score(torch.softmax(torch.randn(num_classes), 0))
        out.append(s)
    return out


def test_pooling_and_pre_logits():
    head = TNTClsHead(num_classes=5, in_channels=8, pool='cls')
    tokens = torch.randn(2, 1 + 9, 8)
    torch.testing.assert_close(head.pre_logits((tokens, )), tokens[:, 0])
    head = TNTClsHead(num_classes=5, in_channels=8, pool='avg')
    torch.testing.assert_close(
        head.pre_logits((tokens, )), tokens[:, 1:].mean(1))
    vectors = torch.randn(2, 8)
    assert head((vectors, )).shape == (2, 5)


@pytest.mark.parametrize('soft', [False, True])
def test_loss_with_label_smoothing_and_soft_targets(soft):
    head = TNTClsHead(
        num_classes=4,
        in_channels=8,
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'))
    tokens = torch.randn(6, 5, 8, requires_grad=True)
    data_samples = samples(6, 4, soft)
    losses = head.loss((tokens, ), data_samples)
    # By hand: targets (1 - 0.1) * y + 0.1 / 4, cross-entropy with the head's
    # own logits, averaged over the batch.
    if soft:
        y = torch.stack([s.gt_score for s in data_samples])
    else:
        y = F.one_hot(torch.tensor([i % 4 for i in range(6)]), 4).float()
    target = 0.9 * y + 0.1 / 4
    logits = head((tokens, ))
    expected = -(target * logits.log_softmax(-1)).sum(-1).mean()
    torch.testing.assert_close(losses['loss'], expected)
    losses['loss'].backward()
    assert head.fc.weight.grad.abs().sum() > 0
    assert tokens.grad.abs().sum() > 0


def test_predict_scores_sum_to_one():
    head = TNTClsHead(num_classes=3, in_channels=8)
    preds = head.predict((torch.randn(2, 4, 8), ))
    assert len(preds) == 2
    torch.testing.assert_close(preds[0].pred_score.sum(), torch.tensor(1.))


def test_bad_pool():
    with pytest.raises(
            ValueError,
            match=r"^TNTClsHead: pool must be 'cls' or 'avg', got 'max'\.$"):
        TNTClsHead(num_classes=3, in_channels=8, pool='max')


def test_registered_and_initialised_as_vit_heads():
    """Built by name from any scope; the classifier starts as timm's and
    mmpretrain's ViT heads do: truncated normal, std 0.02, zero bias."""
    torch.manual_seed(0)
    head = MODELS.build(
        dict(type='mmtnt.TNTClsHead', num_classes=1000, in_channels=384))
    assert isinstance(head, TNTClsHead)
    head.init_weights()
    weight = head.fc.weight.detach()
    assert abs(weight.std().item() - 0.02) < 0.002
    assert abs(weight.mean().item()) < 1e-3
    assert torch.count_nonzero(head.fc.bias) == 0
