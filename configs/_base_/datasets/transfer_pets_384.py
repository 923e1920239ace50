# Oxford-IIIT Pets (mmpretrain's OxfordIIITPet: images/,
# annotations/{trainval,test}.txt under data/oxford_iiit_pets), 37 classes.
_base_ = './transfer_384.py'
data_preprocessor = dict(num_classes=37)
train_dataloader = dict(
    dataset=dict(
        type='OxfordIIITPet',
        data_root='data/oxford_iiit_pets',
        split='trainval'))
val_dataloader = dict(
    dataset=dict(
        type='OxfordIIITPet', data_root='data/oxford_iiit_pets', split='test'))
test_dataloader = val_dataloader
