import glob
import json
import os.path as osp

DIGITS_CONFIG = 'configs/tnt/tnt-mini-p8_1xb64-100e_digits.py'


def digits_options(root, max_epochs=2, **extra):
    """--cfg-options that point the digits config at ``root`` and keep it small and serial."""
    opts = {
        'train_dataloader.dataset.data_root': root,
        'val_dataloader.dataset.data_root': root,
        'test_dataloader.dataset.data_root': root,
        'train_dataloader.num_workers': 0,
        'val_dataloader.num_workers': 0,
        'test_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'val_dataloader.persistent_workers': False,
        'test_dataloader.persistent_workers': False,
        'train_cfg.max_epochs': max_epochs,
        'train_cfg.val_interval': 1,
        'default_hooks.checkpoint.interval': 1,
        'default_hooks.checkpoint.max_keep_ckpts': 3,
        'default_hooks.logger.interval': 5,
        'custom_hooks': '[]',  # no EMA: a 2-epoch average would still be mostly the init
    }
    opts.update(extra)
    return ['--cfg-options'] + [f'{k}={v}' for k, v in opts.items()]


def scalars(work_dir):
    """The json lines mmengine's LocalVisBackend wrote (train and val records)."""
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    assert files, f'no scalars.json under {work_dir}'
    records = []
    for path in files:
        with open(path) as f:
            records += [json.loads(line) for line in f if line.strip()]
    return records
