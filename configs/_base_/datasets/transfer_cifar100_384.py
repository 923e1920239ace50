# CIFAR-100 (mmpretrain's CIFAR100: the python pickles under
# data/cifar100/cifar-100-python), with CIFAR-10's pipelines
# (transfer_cifar10_384.py).
_base_ = './transfer_cifar10_384.py'
data_preprocessor = dict(num_classes=100)
train_dataloader = dict(
    dataset=dict(type='CIFAR100', data_root='data/cifar100'))
val_dataloader = dict(dataset=dict(type='CIFAR100', data_root='data/cifar100'))
test_dataloader = val_dataloader
