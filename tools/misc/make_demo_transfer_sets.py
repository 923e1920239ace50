"""Real photographs written in the on-disk layout of the Table 9 transfer
datasets.

    python tools/misc/make_demo_transfer_sets.py FORMAT|all OUT_DIR
        [--per-split N]

FORMAT: cifar10, cifar100 (python pickles), flowers102 (jpg/ +
imagelabels.mat + setid.mat), pets (images/ + annotations/*.txt), inat2019
(train_val2019/ + train2019.json, val2019.json). The photographs are
scikit-image's and scikit-learn's samples; labels cycle over the first few
classes. For trying a transfer config end to end without the real dataset
(tests use it); mmpretrain's CIFAR classes check the release's md5 sums, which
these files cannot have.
"""
import argparse
import json
import os
import os.path as osp
import pickle

import numpy as np
import skimage.data
from PIL import Image
from scipy.io import savemat
from sklearn.datasets import load_sample_images

FORMATS = ('cifar10', 'cifar100', 'flowers102', 'pets', 'inat2019')
NUM_CLASSES = dict(
    cifar10=10, cifar100=100, flowers102=102, pets=37, inat2019=1010)
PETS_BREEDS = [
    'Abyssinian', 'american_bulldog', 'american_pit_bull_terrier',
    'basset_hound'
]


def photographs():
    """RGB uint8 photographs from registry packages (no download)."""
    out = [
        getattr(skimage.data, n)()
        for n in ('astronaut', 'coffee', 'chelsea', 'rocket', 'cat')
    ]
    out += list(load_sample_images().images)
    return [np.ascontiguousarray(p[..., :3]) for p in out]


def _resize(img, size):
    return np.asarray(Image.fromarray(img).resize(size, Image.BICUBIC))


def _save_jpg(img, path):
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(img).save(path, quality=90)


def write_cifar(out, photos, per_split, fine):
    folder = osp.join(out,
                      'cifar-100-python' if fine else 'cifar-10-batches-py')
    os.makedirs(folder, exist_ok=True)
    key = 'fine_labels' if fine else 'labels'

    def batch(offset):
        imgs = [
            _resize(photos[(offset + i) % len(photos)], (32, 32))
            for i in range(per_split)
        ]
        data = np.stack(imgs).transpose(0, 3, 1, 2).reshape(per_split, -1)
        return {
            'data': data,
            key: [(offset + i) % 3 for i in range(per_split)]
        }

    n = NUM_CLASSES['cifar100' if fine else 'cifar10']
    names = [f'class_{i}' for i in range(n)]
    if fine:
        files = {
            'train': batch(0),
            'test': batch(1),
            'meta': {
                'fine_label_names': names
            }
        }
    else:
        files = {f'data_batch_{i}': batch(i) for i in range(1, 6)}
        files.update({
            'test_batch': batch(0),
            'batches.meta': {
                'label_names': names
            }
        })
    for name, content in files.items():
        with open(osp.join(folder, name), 'wb') as f:
            pickle.dump(content, f)


def write_flowers(out, photos, per_split):
    n = 3 * per_split
    labels = [1 + i % 3 for i in range(n)]  # 1-based, as in imagelabels.mat
    for i in range(n):
        _save_jpg(
            _resize(photos[i % len(photos)], (500, 400)),
            osp.join(out, 'jpg', f'image_{i + 1:05d}.jpg'))
    savemat(osp.join(out, 'imagelabels.mat'), {'labels': np.array([labels])})
    ids = np.arange(1, n + 1).reshape(3, per_split)
    savemat(
        osp.join(out, 'setid.mat'), {
            'trnid': ids[0:1],
            'valid': ids[1:2],
            'tstid': ids[2:3]
        })


def write_pets(out, photos, per_split):
    lines = {'trainval': [], 'test': []}
    for split, offset in (('trainval', 0), ('test', 1)):
        for i in range(per_split):
            breed = PETS_BREEDS[(offset + i) % len(PETS_BREEDS)]
            name = f'{breed}_{100 + offset * per_split + i}'
            _save_jpg(
                _resize(photos[(offset + i) % len(photos)], (400, 300)),
                osp.join(out, 'images', f'{name}.jpg'))
            class_id = PETS_BREEDS.index(breed) + 1  # 1-based
            lines[split].append(
                f'{name} {class_id} {1 + (class_id == 1)} {class_id}')
    os.makedirs(osp.join(out, 'annotations'), exist_ok=True)
    for split, rows in lines.items():
        with open(osp.join(out, 'annotations', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(rows) + '\n')
    with open(osp.join(out, 'annotations', 'list.txt'), 'w') as f:
        f.write('\n'.join(lines['trainval'] + lines['test']) + '\n')


def write_inat(out, photos, per_split):
    categories = [
        dict(
            id=i,
            name=f'species_{i}',
            kingdom='Plants',
            supercategory='Plants') for i in range(NUM_CLASSES['inat2019'])
    ]
    image_id = 0
    for split, offset in (('train', 0), ('val', 1)):
        images, annotations = [], []
        for i in range(per_split):
            cat = (offset + i) % 3
            rel = f'train_val2019/Plants/{cat}/{split}_{i:04d}.jpg'
            img = _resize(photos[(offset + i) % len(photos)], (500, 375))
            _save_jpg(img, osp.join(out, rel))
            images.append(
                dict(
                    id=image_id,
                    file_name=rel,
                    width=500,
                    height=375,
                    license=0))
            annotations.append(
                dict(id=image_id, image_id=image_id, category_id=cat))
            image_id += 1
        with open(osp.join(out, f'{split}2019.json'), 'w') as f:
            json.dump(
                dict(
                    images=images,
                    annotations=annotations,
                    categories=categories,
                    info={},
                    licenses=[]), f)


def export(fmt, out, per_split=4):
    if fmt not in FORMATS:
        raise ValueError(f'format {fmt!r} is not one of {FORMATS}.')
    photos = photographs()
    os.makedirs(out, exist_ok=True)
    if fmt.startswith('cifar'):
        write_cifar(out, photos, per_split, fine=fmt == 'cifar100')
    elif fmt == 'flowers102':
        write_flowers(out, photos, per_split)
    elif fmt == 'pets':
        write_pets(out, photos, per_split)
    else:
        write_inat(out, photos, per_split)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        'format',
        choices=FORMATS + ('all', ),
        help="a dataset's layout, or 'all' (one folder per layout)")
    parser.add_argument('out_dir')
    parser.add_argument(
        '--per-split', type=int, default=4, help='images per split (>= 2)')
    args = parser.parse_args()
    if args.per_split < 2:
        parser.error('--per-split must be at least 2.')
    if args.format == 'all':
        for fmt in FORMATS:
            out = export(fmt, osp.join(args.out_dir, fmt), args.per_split)
            print(f'wrote {fmt} layout to {out}')
    else:
        out = export(args.format, args.out_dir, args.per_split)
        print(f'wrote {args.format} layout to {out}')


if __name__ == '__main__':
    main()
