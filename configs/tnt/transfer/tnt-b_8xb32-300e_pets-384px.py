# Paper Table 9: TNT-B pre-trained on ImageNet, fine-tuned at 384x384 on
# Oxford-IIIT Pets for 300 epochs: 95.0 top-1.
#     tools/dist_train.sh configs/tnt/transfer/tnt-b_8xb32-300e_pets-384px.py 8
_base_ = [
    '../../_base_/models/tnt_b_p16_384_finetune.py',
    '../../_base_/datasets/transfer_pets_384.py',
    '../../_base_/schedules/transfer_adamw_tnt_300e.py',
    '../../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes={{_base_.data_preprocessor.num_classes}}))
train_dataloader = dict(batch_size=32)
val_dataloader = dict(batch_size=32)
test_dataloader = val_dataloader
