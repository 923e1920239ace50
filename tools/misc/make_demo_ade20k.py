"""Write a small semantic segmentation dataset in ADE20K's exact layout from
real photographs.

    python tools/misc/make_demo_ade20k.py data/ade/ADEChallengeData2016
        [--train 16] [--val 4]

ADE20K cannot be downloaded on the test machines, so this builds a stand-in
whose masks are known exactly: every image is made of regions cut from real
photographs that ship in scikit-image and scikit-learn, each labelled with the
ADE20K class it shows (grass -> grass, brick -> wall, gravel -> earth, the
Hubble deep field -> sky, the astronaut -> person, Chelsea and scikit-image's
horse silhouette filled with her fur -> animal), plus a strip of scikit-learn's
china.jpg labelled 0 ("other", ignored by ADE20K's reduce_zero_label). mmseg's
ADE20KDataset and the unmodified config read it as they read ADE20K.

Layout written (ADEChallengeData2016's):

    ADEChallengeData2016/
      images/training/ADE_train_00000001.jpg ...
      annotations/training/ADE_train_00000001.png ...
      images/validation/ADE_val_00000001.jpg ...
      annotations/validation/ADE_val_00000001.png ...

Labels are 8-bit single-channel PNGs: 0 = other, 1..150 = the 150 ADE20K
classes in objectInfo150 order (mmseg's ADE20KDataset.METAINFO). Seeded: every
run writes the same files.
"""
import argparse
import os
import os.path as osp

import numpy as np
import skimage.data
from PIL import Image
from sklearn.datasets import load_sample_images

# PNG value = 1 + index in ADE20K's 150 classes (mmseg
# ADE20KDataset.METAINFO['classes']).
WALL, SKY, GRASS, PERSON, EARTH, ANIMAL = 1, 3, 10, 13, 14, 127
SIZES = [(384, 512), (448, 448), (512, 384), (400, 560)]


def _rgb(a):
    return np.stack([a] * 3, -1) if a.ndim == 2 else a[..., :3]


def stuff():
    """(ADE20K PNG value, texture photo) for the background regions."""
    return [(GRASS, _rgb(skimage.data.grass())),
            (WALL, _rgb(skimage.data.brick())),
            (EARTH, _rgb(skimage.data.gravel())),
            (SKY, skimage.data.hubble_deep_field()[..., :3])]


def things():
    """(PNG value, RGB crop, mask or None) pasted on top."""
    horse = ~skimage.data.horse()
    rows, cols = np.flatnonzero(horse.any(1)), np.flatnonzero(horse.any(0))
    horse = horse[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    fur = np.asarray(
        Image.fromarray(skimage.data.chelsea()[40:260, 30:250]).resize(
            horse.shape[::-1]))
    return [(PERSON, skimage.data.astronaut()[10:512, 20:365], None),
            (ANIMAL, skimage.data.chelsea()[:, 20:400], None),
            (ANIMAL, fur, horse)]


def _fill(rng, photo, h, w):
    """A random h x w crop of ``photo``, upscaled first when the photo is too
    small.
    """
    scale = max(h / photo.shape[0], w / photo.shape[1], 1.0) * rng.uniform(
        1.0, 1.3)
    photo = np.asarray(
        Image.fromarray(photo).resize((int(np.ceil(photo.shape[1] * scale)),
                                       int(np.ceil(photo.shape[0] * scale)))))
    y, x = rng.integers(photo.shape[0] - h + 1), rng.integers(photo.shape[1] -
                                                              w + 1)
    return photo[y:y + h, x:x + w]


def make_image(rng, size, backgrounds, objects, other):
    h, w = size
    img = np.zeros((h, w, 3), np.uint8)
    label = np.zeros((h, w), np.uint8)
    # Two stuff regions split at a random row or column.
    a, b = rng.choice(len(backgrounds), 2, replace=False)
    vertical = rng.random() < 0.5
    cut = int(
        rng.integers((w if vertical else h) // 3,
                     2 * (w if vertical else h) // 3))
    for k, region in ((a, np.s_[:, :cut] if vertical else np.s_[:cut]),
                      (b, np.s_[:, cut:] if vertical else np.s_[cut:])):
        value, photo = backgrounds[k]
        part = img[region]
        img[region] = _fill(rng, photo, *part.shape[:2])
        label[region] = value
    # A strip of an unlabelled photo: "other" (0).
    sh = int(rng.integers(h // 10, h // 5))
    img[h - sh:] = _fill(rng, other, sh, w)
    label[h - sh:] = 0
    for _ in range(int(rng.integers(1, 3))):
        value, crop, mask = objects[rng.integers(len(objects))]
        long_side = rng.uniform(0.25, 0.5) * min(h, w)
        s = long_side / max(crop.shape[:2])
        ow, oh = max(8, int(crop.shape[1] * s)), max(8, int(crop.shape[0] * s))
        x, y = int(rng.integers(0,
                                w - ow + 1)), int(rng.integers(0, h - oh + 1))
        patch = np.asarray(
            Image.fromarray(crop).resize((ow, oh), Image.BILINEAR))
        m = np.ones((oh, ow), bool) if mask is None else np.asarray(
            Image.fromarray(mask.astype(np.uint8) * 255).resize(
                (ow, oh), Image.NEAREST)) > 127
        img[y:y + oh, x:x + ow][m] = patch[m]
        label[y:y + oh, x:x + ow][m] = value
    return img, label


def write_split(root, split, prefix, count, rng, backgrounds, objects, other):
    img_dir = osp.join(root, 'images', split)
    ann_dir = osp.join(root, 'annotations', split)
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(ann_dir, exist_ok=True)
    for i in range(1, count + 1):
        img, label = make_image(rng, SIZES[i % len(SIZES)], backgrounds,
                                objects, other)
        name = f'ADE_{prefix}_{i:08d}'
        Image.fromarray(img).save(osp.join(img_dir, name + '.jpg'), quality=95)
        Image.fromarray(label, mode='L').save(osp.join(ann_dir, name + '.png'))
    return count


def export(root, num_train=16, num_val=4, seed=0):
    """Write the dataset under ``root`` (the ADEChallengeData2016 folder)."""
    rng = np.random.default_rng(seed)
    backgrounds, objects = stuff(), things()
    other = load_sample_images().images[0]  # china.jpg
    return {
        'training':
        write_split(root, 'training', 'train', num_train, rng, backgrounds,
                    objects, other),
        'validation':
        write_split(root, 'validation', 'val', num_val, rng, backgrounds,
                    objects, other)
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        'root',
        help='dataset folder to write, e.g. data/ade/ADEChallengeData2016')
    parser.add_argument(
        '--train', type=int, default=16, help='training images')
    parser.add_argument('--val', type=int, default=4, help='validation images')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    for split, n in export(args.root, args.train, args.val, args.seed).items():
        print(f'{split}: {n} image/label pairs under {args.root}')


if __name__ == '__main__':
    main()
