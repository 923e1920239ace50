"""Export scikit-learn's handwritten digits (1,797 real 8x8 scans, 10 classes)
as an ImageNet-style folder, the embedded default dataset of the main job.

    python tools/dataset_converters/digits_to_imagenet.py data/digits
        [--val-ratio 0.2] [--size 16]

Layout written (the one mmpretrain's ImageNet/CustomDataset read, see
docs/dataset_prepare.md):

    data/digits/
      train/<class>/<id>.png   val/<class>/<id>.png meta/train.txt
      meta/val.txt      ("<class>/<id>.png <label>" per line) classes.txt

The split is stratified and seeded, so every run writes the same files. Images
are upscaled (bicubic) from 8x8 to 16x16: a patch-8 TNT sees 2x2 sentences of
4x4 words each.
"""
import argparse
import os
import os.path as osp

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits

CLASSES = [
    'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight',
    'nine'
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        'out_dir', help='dataset root to write, e.g. data/digits')
    parser.add_argument(
        '--val-ratio', type=float, default=0.2, help='held-out fraction')
    parser.add_argument(
        '--size', type=int, default=16, help='side of the written images')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def split_indices(labels, val_ratio, seed):
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_val = int(round(len(idx) * val_ratio))
        val += idx[:n_val].tolist()
        train += idx[n_val:].tolist()
    return sorted(train), sorted(val)


def export(out_dir, val_ratio=0.2, size=16, seed=0):
    """Write the dataset; returns {'train': n, 'val': n}. Skips work if it is
    complete.
    """
    if not 0 < val_ratio < 1:
        raise ValueError(f'--val-ratio must be in (0, 1), got {val_ratio}.')
    done = osp.join(out_dir, '.complete')
    digits = load_digits()
    images = (digits.images / 16.0 * 255).clip(0, 255).astype(np.uint8)
    labels = digits.target
    splits = dict(
        zip(('train', 'val'), split_indices(labels, val_ratio, seed)))
    stamp = f'{val_ratio} {size} {seed} {len(labels)}'
    if osp.exists(done) and open(done).read() == stamp:
        return {k: len(v) for k, v in splits.items()}
    os.makedirs(osp.join(out_dir, 'meta'), exist_ok=True)
    for split, indices in splits.items():
        lines = []
        for i in indices:
            cls = CLASSES[labels[i]]
            rel = f'{cls}/{i:04d}.png'
            path = osp.join(out_dir, split, rel)
            os.makedirs(osp.dirname(path), exist_ok=True)
            img = Image.fromarray(images[i]).resize(
                (size, size), Image.BICUBIC).convert('RGB')
            img.save(path)
            lines.append(f'{rel} {labels[i]}')
        with open(osp.join(out_dir, 'meta', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
    with open(osp.join(out_dir, 'classes.txt'), 'w') as f:
        f.write('\n'.join(CLASSES) + '\n')
    with open(done, 'w') as f:
        f.write(stamp)
    return {k: len(v) for k, v in splits.items()}


def main():
    args = parse_args()
    counts = export(args.out_dir, args.val_ratio, args.size, args.seed)
    print(
        f'wrote {counts["train"]} train / {counts["val"]} val digits to {args.out_dir}'  # noqa: E501
    )


if __name__ == '__main__':
    main()
