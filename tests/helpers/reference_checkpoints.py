"""Checkpoints in each released TNT format, made by the reference
implementations themselves.

No weights can be downloaded here, so the formats are reproduced from the code
that defines them:
* timm (official and legacy layouts): a timm model's own ``state_dict``;
* official (huawei-noah ``tnt_s_81.5.pth.tar``): timm's non-legacy weights
  under the official names, i.e. timm's ``checkpoint_filter_fn`` run backwards
  (``inner_pos`` as (1, m, c), the unused ``outer_tokens``, a ``state_dict``
  entry as written by the official train.py);
* mmpretrain (``tnt-small-p16_3rdparty_in1k``): mmpretrain 1.2.0's
  ImageClassifier with its TNT.
Weights are random but perturbed away from their init (LayerNorms included), so
every tensor matters for the logits.
"""
import argparse

import torch

_TO_OFFICIAL = {
    'patch_pos': 'outer_pos',
    'pixel_pos': 'inner_pos',
    'pixel_embed': 'patch_embed',
    'norm1_proj': 'proj_norm1',
    'norm2_proj': 'proj_norm2',
    'norm_in': 'inner_norm1',
    'attn_in': 'inner_attn',
    'norm_mlp_in': 'inner_norm2',
    'mlp_in': 'inner_mlp',
    'norm_out': 'outer_norm1',
    'attn_out': 'outer_attn',
    'norm_mlp': 'outer_norm2',
    'mlp': 'outer_mlp',
}


def perturb(model, seed=0, std=0.02):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=g) * std)
    return model.eval()


def timm_model(name='tnt_s_patch16_224', seed=0, **kwargs):
    import timm
    return perturb(timm.create_model(name, pretrained=False, **kwargs), seed)


def official_state_dict(timm_tnt):
    out = {}
    for k, v in timm_tnt.state_dict().items():
        k = '.'.join(_TO_OFFICIAL.get(part, part) for part in k.split('.'))
        if k == 'inner_pos':
            v = v.flatten(2).transpose(1, 2)  # (1, c, s, s) -> (1, m, c)
        out[k] = v.clone()
    n = timm_tnt.pixel_embed.num_patches
    out['outer_tokens'] = torch.zeros(1, n, timm_tnt.embed_dim)
    # What timm 0.3's CheckpointSaver (the official train.py) writes, args
    # included.
    args = argparse.Namespace(model='tnt_s_patch16_224', lr=1e-3, epochs=300)
    return {
        'epoch': 299,
        'arch': 'tnt_s_patch16_224',
        'state_dict': out,
        'version': 2,
        'args': args
    }


def mmpretrain_classifier(seed=0, arch='s', num_classes=1000):
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    dims = {'s': 384, 'b': 640}[arch]
    cfg = dict(
        type='ImageClassifier',
        data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3, to_rgb=True),
        backbone=dict(type='TNT', arch=arch, img_size=224, patch_size=16),
        head=dict(
            type='LinearClsHead',
            num_classes=num_classes,
            in_channels=dims,
            loss=dict(type='CrossEntropyLoss')))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg)
    model.init_weights()
    return perturb(model, seed)


def mmpretrain_checkpoint(model):
    return {
        'state_dict': model.state_dict(),
        'meta': {
            'mmpretrain_version': '1.2.0'
        }
    }
