# Oxford 102 Flowers (mmpretrain's Flowers102: jpg/, imagelabels.mat, setid.mat
# under data/flowers102). Trained on train+val (2,040 images) and tested on
# test, as DeiT and TNT do.
_base_ = './transfer_384.py'
data_preprocessor = dict(num_classes=102)
train_dataloader = dict(
    dataset=dict(
        type='Flowers102', data_root='data/flowers102', split='trainval'))
val_dataloader = dict(
    dataset=dict(type='Flowers102', data_root='data/flowers102', split='test'))
test_dataloader = val_dataloader
