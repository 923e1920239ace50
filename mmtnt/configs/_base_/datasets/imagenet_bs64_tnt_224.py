# ImageNet-1k with the DeiT/TNT recipe;
# configs/_base_/datasets/imagenet_bs64_tnt_224.py and tnt_augment.py in
# mmengine's lazy-import format (docs/registry.md).
from mmengine.dataset import DefaultSampler, default_collate
from mmpretrain.datasets import (CenterCrop, ImageNet, LoadImageFromFile,
                                 PackInputs, RandAugment, RandomErasing,
                                 RandomFlip, RandomResizedCrop,
                                 RepeatAugSampler, ResizeEdge)
from mmpretrain.evaluation import Accuracy

dataset_type = ImageNet
data_root = 'data/imagenet'
data_preprocessor = dict(
    num_classes=1000,
    mean=[127.5, 127.5, 127.5],
    std=[127.5, 127.5, 127.5],
    to_rgb=True,
)

pad_val = [128, 128, 128]
train_pipeline = [
    dict(type=LoadImageFromFile),
    dict(
        type=RandomResizedCrop,
        scale=224,
        backend='pillow',
        interpolation='bicubic'),
    dict(type=RandomFlip, prob=0.5, direction='horizontal'),
    dict(
        type=RandAugment,
        policies='timm_increasing',
        num_policies=2,
        total_level=10,
        magnitude_level=9,
        magnitude_std=0.5,
        hparams=dict(pad_val=pad_val, interpolation='bicubic')),
    dict(
        type=RandomErasing,
        erase_prob=0.25,
        mode='rand',
        min_area_ratio=0.02,
        max_area_ratio=1 / 3,
        fill_color=pad_val,
        fill_std=[127.5, 127.5, 127.5]),
    dict(type=PackInputs),
]

test_pipeline = [
    dict(type=LoadImageFromFile),
    dict(
        type=ResizeEdge,
        scale=248,
        edge='short',
        backend='pillow',
        interpolation='bicubic'),
    dict(type=CenterCrop, crop_size=224),
    dict(type=PackInputs),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline),
    sampler=dict(type=RepeatAugSampler, shuffle=True),
    persistent_workers=True,
    pin_memory=True,
    collate_fn=dict(type=default_collate),
)

val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        pipeline=test_pipeline),
    sampler=dict(type=DefaultSampler, shuffle=False),
    persistent_workers=True,
    pin_memory=True,
    collate_fn=dict(type=default_collate),
)
val_evaluator = dict(type=Accuracy, topk=(1, 5))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
