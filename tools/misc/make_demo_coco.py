"""Write a small detection dataset in COCO's exact on-disk format from real
photographs.

    python tools/misc/make_demo_coco.py data/coco_photos
        [--train 24] [--val 8]

COCO cannot be downloaded on the test machines, so this builds a stand-in from
the photographs that ship inside scikit-image and scikit-learn: four objects
are cut out of real photos (the astronaut -> ``person``, Chelsea -> ``cat``,
the espresso cup -> ``cup``, scikit-image's horse silhouette filled with a wood
texture -> ``horse``) and pasted, scaled, at known places onto crops of other
real photos (scikit-learn's china/flower, grass, gravel, brick, the Hubble deep
field). Boxes are therefore exact. The json lists COCO's 80 categories with
their ids (four of them have objects), so the unmodified COCO configs (80
classes, mmdet's CocoDataset and CocoMetric) read it as they read COCO.

Layout written (COCO 2017's):

    data/coco_photos/
      annotations/instances_train2017.json  annotations/instances_val2017.json
      train2017/000000000001.jpg ...         val2017/000000001001.jpg ...

Each json has ``info``, ``licenses``, ``images`` (id, file_name, width,
height), ``annotations`` (id, image_id, category_id, bbox [x, y, w, h], area,
iscrowd=0, segmentation polygons) and ``categories`` (id, name, supercategory).
Objects span COCO's small/medium/large area ranges, so every AP field of the
metric is defined. Seeded: every run writes the same files.
"""
import argparse
import json
import os
import os.path as osp

import numpy as np
import skimage.data
from mmdet.datasets import CocoDataset
from PIL import Image
from skimage.measure import approximate_polygon, find_contours
from sklearn.datasets import load_sample_images

# COCO 2017's 80 category ids (1-90 with gaps), in the order of mmdet's
# CocoDataset classes.
COCO_IDS = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
    23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
    46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64,
    65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88,
    89, 90
]
# First id of each COCO supercategory.
SUPERCATEGORIES = [(1, 'person'), (2, 'vehicle'), (10, 'outdoor'),
                   (16, 'animal'), (27, 'accessory'), (34, 'sports'),
                   (44, 'kitchen'), (52, 'food'), (62, 'furniture'),
                   (72, 'electronic'), (78, 'appliance'), (84, 'indoor')]


def categories():
    """All 80 COCO categories: a model predicts any of them, and CocoMetric
    maps every predicted label to a category id of the file."""
    names = CocoDataset.METAINFO['classes']
    return [
        dict(
            id=i,
            name=n,
            supercategory=[s for first, s in SUPERCATEGORIES
                           if first <= i][-1])
        for i, n in zip(COCO_IDS, names)
    ]


# Output image sizes (h, w): non-square and not multiples of 32, as COCO's are.
SIZES = [(300, 420), (360, 360), (320, 500), (420, 300), (340, 460)]


def _rgb(a):
    return np.stack([a] * 3, -1) if a.ndim == 2 else a[..., :3]


def objects():
    """(name, RGB crop, mask or None) cut from real photographs."""
    horse = ~skimage.data.horse(
    )  # the silhouette is False on a True background
    rows, cols = np.flatnonzero(horse.any(1)), np.flatnonzero(horse.any(0))
    horse = horse[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    wood = np.asarray(
        Image.fromarray(skimage.data.coffee()[250:400, 0:150]).resize(
            horse.shape[::-1]))
    return [
        ('person', skimage.data.astronaut()[10:512, 20:365], None),
        ('cat', skimage.data.chelsea()[:, 20:400], None),
        ('cup', skimage.data.coffee()[15:310, 170:415], None),
        ('horse', wood, horse),
    ]


def backgrounds():
    photos = list(load_sample_images().images)
    photos += [
        _rgb(getattr(skimage.data, n)())
        for n in ('grass', 'gravel', 'brick', 'hubble_deep_field')
    ]
    return photos


def polygon(mask, x, y, scale):
    """The outline of a pasted mask as one COCO polygon [x1, y1, x2, y2, ...].
    """
    contour = max(find_contours(np.pad(mask, 1).astype(float), 0.5), key=len)
    contour = approximate_polygon(contour - 1, tolerance=1.0)
    return [
        float(v) for r, c in contour for v in (x + c * scale, y + r * scale)
    ]


def _iou(a, b):
    ix = max(0., min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0., min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def make_image(rng, photos, objs, size, ann_id, image_id, cats):
    """One background crop with 1-3 pasted objects; returns (RGB array,
    annotations).
    """
    h, w = size
    bg = photos[rng.integers(len(photos))]
    scale = max(h / bg.shape[0], w / bg.shape[1]) * rng.uniform(1.0, 1.5)
    bg = np.asarray(
        Image.fromarray(bg).resize((int(np.ceil(
            bg.shape[1] * scale)), int(np.ceil(bg.shape[0] * scale))),
                                   Image.BILINEAR))
    y0, x0 = rng.integers(bg.shape[0] - h + 1), rng.integers(bg.shape[1] - w +
                                                             1)
    canvas = bg[y0:y0 + h, x0:x0 + w].copy()
    anns = []
    for _ in range(rng.integers(1, 4)):
        k = rng.integers(len(objs))
        name, crop, mask = objs[k]
        # Long side from 20 px (COCO 'small', area < 32^2) to 70% of the image
        # ('large').
        long_side = rng.choice([
            rng.uniform(20, 30),
            rng.uniform(40, 90),
            rng.uniform(120, 0.7 * min(h, w))
        ])
        s = long_side / max(crop.shape[:2])
        ow, oh = max(2, int(round(crop.shape[1] * s))), max(
            2, int(round(crop.shape[0] * s)))
        box = None
        for _ in range(20):  # a place that overlaps earlier objects little
            x, y = int(rng.integers(0, w - ow + 1)), int(
                rng.integers(0, h - oh + 1))
            if all(_iou((x, y, ow, oh), a['bbox']) < 0.2 for a in anns):
                box = (x, y)
                break
        if box is None:
            continue
        x, y = box
        patch = np.asarray(
            Image.fromarray(crop).resize((ow, oh), Image.BILINEAR))
        if mask is None:
            canvas[y:y + oh, x:x + ow] = patch
            seg = [[x, y, x + ow, y, x + ow, y + oh, x, y + oh]]
            area = float(ow * oh)
            bbox = [x, y, ow, oh]
        else:
            m = np.asarray(
                Image.fromarray(mask.astype(np.uint8) * 255).resize(
                    (ow, oh), Image.NEAREST)) > 127
            region = canvas[y:y + oh, x:x + ow]
            region[m] = patch[m]
            rows, cols = np.flatnonzero(m.any(1)), np.flatnonzero(m.any(0))
            bbox = [
                x + int(cols[0]), y + int(rows[0]),
                int(cols[-1] - cols[0] + 1),
                int(rows[-1] - rows[0] + 1)
            ]
            seg = [polygon(m, x, y, 1.0)]
            area = float(m.sum())
        anns.append(
            dict(
                id=ann_id + len(anns),
                image_id=image_id,
                category_id=next(c['id'] for c in cats if c['name'] == name),
                bbox=[float(v) for v in bbox],
                area=area,
                iscrowd=0,
                segmentation=seg))
    return canvas, anns


def write_split(out_dir, split, count, first_id, rng, photos, objs, cats):
    img_dir = osp.join(out_dir, f'{split}2017')
    os.makedirs(img_dir, exist_ok=True)
    images, annotations = [], []
    for i in range(count):
        image_id = first_id + i
        h, w = SIZES[i % len(SIZES)]
        canvas, anns = make_image(rng, photos, objs, (h, w),
                                  first_id * 100 + len(annotations), image_id,
                                  cats)
        name = f'{image_id:012d}.jpg'
        Image.fromarray(canvas).save(osp.join(img_dir, name), quality=95)
        images.append(
            dict(id=image_id, file_name=name, width=w, height=h, license=1))
        annotations += anns
    coco = dict(
        info=dict(
            description=(
                'mmtnt: objects from scikit-image/scikit-learn photographs pasted at known places'  # noqa: E501
            ),
            version='1.0',
            year=2026),
        licenses=[
            dict(
                id=1,
                name='scikit-image / scikit-learn sample data licences',
                url='')
        ],
        images=images,
        annotations=annotations,
        categories=cats)
    ann_dir = osp.join(out_dir, 'annotations')
    os.makedirs(ann_dir, exist_ok=True)
    path = osp.join(ann_dir, f'instances_{split}2017.json')
    with open(path + '.tmp', 'w') as f:
        json.dump(coco, f)
    os.replace(path + '.tmp', path)
    return len(images), len(annotations)


def export(out_dir, num_train=24, num_val=8, seed=0):
    """Write the dataset under ``out_dir``; returns {split: (images,
    annotations)}.
    """
    rng = np.random.default_rng(seed)
    photos, objs, cats = backgrounds(), objects(), categories()
    return {
        'train':
        write_split(out_dir, 'train', num_train, 1, rng, photos, objs, cats),
        'val':
        write_split(out_dir, 'val', num_val, 1001, rng, photos, objs, cats)
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        'out_dir', help='dataset root to write, e.g. data/coco_photos')
    parser.add_argument(
        '--train', type=int, default=24, help='training images')
    parser.add_argument('--val', type=int, default=8, help='validation images')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    for split, (n_img, n_ann) in export(args.out_dir, args.train, args.val,
                                        args.seed).items():
        print(f'{split}: {n_img} images, {n_ann} objects -> ' + osp.join(
            args.out_dir, 'annotations', f'instances_{split}2017.json'))


if __name__ == '__main__':
    main()
