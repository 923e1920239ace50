"""Classify held-out digits and a real photograph with mmtnt's Python API (main
job, last step).

    python tools/demo_inference.py CONFIG CHECKPOINT
"""
import argparse
import os.path as osp
import tempfile

import skimage.data
from PIL import Image

from mmtnt.apis import get_model, inference_model


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument(
        '--image', help='an image file; default: a val digit and a photograph')
    args = parser.parse_args()

    model = get_model(args.config, args.checkpoint)
    images = [args.image] if args.image else []
    if not images:
        # The first held-out image of a few classes, then a real photograph.
        with open('data/digits/meta/val.txt') as f:
            firsts = {}
            for line in f:
                rel = line.split()[0]
                firsts.setdefault(rel.split('/')[0], rel)
        images += [
            osp.join('data/digits/val', firsts[c])
            for c in ('two', 'five', 'seven')
        ]
        photo = osp.join(tempfile.mkdtemp(), 'camera.png')
        Image.fromarray(skimage.data.camera()).convert('RGB').resize(
            (16, 16)).save(photo)
        images.append(photo)
    for image in images:
        result = inference_model(model, image, topk=3)
        top = ', '.join(f'{name} {score:.3f}'
                        for name, score in result['topk'])
        print(f'{image}: {top}')


if __name__ == '__main__':
    main()
