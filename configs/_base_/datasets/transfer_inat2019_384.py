# iNaturalist 2019 (1,010 classes) as released: train_val2019/ images with
# train2019.json and val2019.json under data/inat2019. mmpretrain has no iNat
# dataset; mmtnt.INat2019 reads the json.
_base_ = './transfer_384.py'
data_preprocessor = dict(num_classes=1010)
train_dataloader = dict(
    dataset=dict(
        type='mmtnt.INat2019',
        data_root='data/inat2019',
        ann_file='train2019.json'))
val_dataloader = dict(
    dataset=dict(
        type='mmtnt.INat2019',
        data_root='data/inat2019',
        ann_file='val2019.json'))
test_dataloader = val_dataloader
