"""The main job's mini TNT (random weights) on two photographs at 32x32 pixels:
a 4x4 grid of 8x8 patches, 16 words each, 4 blocks."""
import os.path as osp

import pytest

from mmtnt.visualization import load_backbone_and_images
from tests.helpers import DIGITS_CONFIG, ROOT, write_photos

IMAGENET_NORM = {
    'data_preprocessor.mean': [123.675, 116.28, 103.53],
    'data_preprocessor.std': [58.395, 57.12, 57.375],
}


@pytest.fixture(scope='package')
def photo_files(tmp_path_factory):
    return write_photos(tmp_path_factory.mktemp('photos'))


@pytest.fixture
def mini(photo_files):
    """(backbone, (2, 3, 32, 32) inputs, two 32x32 RGB arrays), built per test:
    mutation runs credit a fixture's calls to the first test that used it."""
    return load_backbone_and_images(
        osp.join(ROOT, DIGITS_CONFIG),
        None,
        photo_files,
        32,
        cfg_options=IMAGENET_NORM)
