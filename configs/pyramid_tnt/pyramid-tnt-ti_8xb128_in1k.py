# PyramidTNT-Ti (10.6M params, 0.6 GMACs, 75.2 top-1), trained and tested at
# 192 pixels like the official model (test: short side 213, centre crop 192).
# Drop path 0.1 is our choice: the official command is for S only.
_base_ = './pyramid-tnt-s_8xb128_in1k.py'

model = dict(
    backbone=dict(arch='ti', img_size=192, drop_path_rate=0.1),
    head=dict(in_channels=320))
train_pipeline = [
    dict(step, scale=192) if step['type'] == 'RandomResizedCrop' else step
    for step in _base_.train_pipeline
]
test_pipeline = [
    dict(step, scale=213) if step['type'] == 'ResizeEdge' else
    dict(step, crop_size=192) if step['type'] == 'CenterCrop' else step
    for step in _base_.test_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
