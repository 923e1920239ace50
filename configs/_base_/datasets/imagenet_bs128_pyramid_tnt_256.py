# ImageNet-1k for PyramidTNT: the TNT recipe's data (RandAugment m9 std .5,
# random erasing .25, repeated augmentation, mean = std = 127.5) at 256 pixels,
# tested as the official code does: bicubic resize of the short side to
# 256 / 0.9 = 284, centre crop 256; 128 images per GPU (8 GPUs -> 1024).
_base_ = './imagenet_bs64_tnt_224.py'

train_pipeline = [
    dict(step, scale=256) if step['type'] == 'RandomResizedCrop' else step
    for step in _base_.train_pipeline
]
test_pipeline = [
    dict(step, scale=284) if step['type'] == 'ResizeEdge' else
    dict(step, crop_size=256) if step['type'] == 'CenterCrop' else step
    for step in _base_.test_pipeline
]
train_dataloader = dict(batch_size=128, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=128, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
