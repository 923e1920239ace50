# CIFAR-10 (mmpretrain's CIFAR10: the python pickles under
# data/cifar10/cifar-10-batches-py), 32x32 images upsampled to 384. The images
# come from the pickles, so there is no LoadImageFromFile; the augmentations
# are the pre-training ones of transfer_384.py.
_base_ = './transfer_384.py'
data_preprocessor = dict(num_classes=10)
train_pipeline = [
    dict(
        type='RandomResizedCrop',
        scale=384,
        backend='pillow',
        interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    _base_.rand_augment,
    _base_.random_erasing,
    dict(type='PackInputs'),
]
train_pipeline = [dict(step, _scope_='mmpretrain') for step in train_pipeline]
# A 32x32 image has no border to crop: resized straight to 384.
test_pipeline = [
    dict(type='Resize', scale=384, backend='pillow', interpolation='bicubic'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(step, _scope_='mmpretrain') for step in test_pipeline]
train_dataloader = dict(
    dataset=dict(
        type='CIFAR10',
        data_root='data/cifar10',
        split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type='CIFAR10',
        data_root='data/cifar10',
        split='test',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
