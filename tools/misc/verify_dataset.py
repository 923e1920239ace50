"""Read every image and annotation of a config's datasets and list what is
broken.

    python tools/misc/verify_dataset.py CONFIG [--splits train val test]
        [--out-path report.txt] [--cfg-options k=v ...]

Each file is decoded in full (truncated files, files that are not images),
colour modes that are converted on load are noted (CMYK, grayscale), class
labels are checked against the dataset's classes, boxes against their image,
segmentation label maps against their image's size and the classes. Exits 1 if
anything is broken.
"""
import argparse
import sys

import numpy as np
from mmengine.config import DictAction
from mmengine.registry import DATASETS, init_default_scope
from mmengine.utils import ProgressBar

from mmtnt.datasets.sample_checks import (check_annotation, check_image_file,
                                          open_image, pipeline_backend_args)
from mmtnt.runs import USER_ERRORS, check_data, error_line, setup_env
from mmtnt.utils import load_config


def check_seg_map(info, num_classes, backend_args=None):
    """A label map of its image's size holding classes (or the ignore value)
    only.
    """
    with open_image(info['seg_map_path'],
                    backend_args) as seg, open_image(info['img_path'],
                                                     backend_args) as img:
        if seg.size != img.size:
            return [
                f'label map is {seg.size[0]}x{seg.size[1]}, its image {img.size[0]}x{img.size[1]}'  # noqa: E501
            ]
        values = np.unique(np.asarray(seg))
    top = num_classes if info.get('reduce_zero_label') else num_classes - 1
    bad = values[(values > top) & (values != 255)]
    return [
        f'label value {int(bad[0])} is neither a class (0..{top}) nor 255'
    ] if bad.size else []


def verify(dataset, split):
    """Yield (level, split, file, message) for every problem of ``dataset``."""
    classes = dataset.metainfo.get('classes')
    num_classes = len(classes) if classes else None
    backend_args = pipeline_backend_args(dataset)
    progress = ProgressBar(len(dataset))
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        image = info.get('img_path', f'sample {i}')
        errors, notes = check_image_file(image, backend_args=backend_args)
        if not errors and info.get('seg_map_path'):
            seg_errors, _ = check_image_file(
                info['seg_map_path'], backend_args=backend_args)
            errors += [
                f'label map {info["seg_map_path"]}: {e}' for e in seg_errors
            ]
            if not errors and num_classes:
                errors += check_seg_map(info, num_classes, backend_args)
        errors += check_annotation(info, num_classes)
        for message in errors:
            yield 'ERROR', split, image, message
        for message in notes:
            yield 'NOTE', split, image, message
        progress.update()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument(
        '--splits', nargs='+', default=['train', 'val', 'test'])
    parser.add_argument(
        '--out-path', help='also write the report to this file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    cfg = load_config(args.config, args.cfg_options)
    setup_env(cfg, 'none', 'cpu')  # reads files only
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    loaders = [
        f'{s}_dataloader' for s in args.splits if cfg.get(f'{s}_dataloader')
    ]
    check_data(cfg, loaders)
    report, seen = [], set()
    for loader in loaders:
        dataset_cfg = cfg[loader].dataset
        key = repr(dataset_cfg.to_dict() if hasattr(dataset_cfg, 'to_dict'
                                                    ) else dataset_cfg)
        if key in seen:  # test_dataloader = val_dataloader
            continue
        seen.add(key)
        dataset = DATASETS.build(dataset_cfg)
        split = loader[:-len('_dataloader')]
        print(f'\n{split}: {len(dataset)} samples of {type(dataset).__name__}')
        report += [
            ' '.join(row[:2]) + f' {row[2]}: {row[3]}'
            for row in verify(dataset, split)
        ]
    errors = sum(line.startswith('ERROR') for line in report)
    print('\n' + '\n'.join(report +
                           [f'{errors} broken, {len(report) - errors} notes']))
    if args.out_path:
        with open(args.out_path, 'w') as f:
            f.write('\n'.join(report) + '\n')
    raise SystemExit(1 if errors else 0)


if __name__ == '__main__':
    try:
        main()
    except USER_ERRORS as err:
        sys.exit(error_line(err))
