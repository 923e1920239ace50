"""mmtnt.visualization.load_backbone_and_images: what the figures are drawn
from."""
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

from mmtnt.apis import get_model
from mmtnt.visualization import load_backbone_and_images
from tests.helpers import DIGITS_CONFIG, ROOT
from tests.test_visualization.conftest import IMAGENET_NORM


def test_images_are_resized_and_normalised_in_rgb_order(mini, photo_files):
    backbone, inputs, rgbs = mini
    assert inputs.shape == (2, 3, 32, 32) and len(rgbs) == 2
    mean = np.array(IMAGENET_NORM['data_preprocessor.mean'])
    std = np.array(IMAGENET_NORM['data_preprocessor.std'])
    for path, rgb, x in zip(photo_files, rgbs, inputs):
        expected_rgb = np.asarray(
            Image.open(path).convert('RGB').resize((32, 32), Image.BICUBIC))
        np.testing.assert_array_equal(rgb, expected_rgb)
        expected = (expected_rgb - mean) / std  # channels R, G, B
        np.testing.assert_allclose(
            x.permute(1, 2, 0).numpy(), expected, rtol=1e-5, atol=1e-5)


def test_backbone_is_the_configs_tnt_randomly_initialised(mini):
    backbone = mini[0]
    assert type(backbone).__name__ == 'TNT' and len(backbone.blocks) == 4
    assert backbone.patch_size == 8
    # init_weights ran: mmpretrain's TNT init draws the linear layers from a
    # truncated normal of std 0.02 and zeroes their biases.
    weight = backbone.blocks[0].attn_out.qk.weight
    assert 0.01 < weight.std().item() < 0.03
    assert torch.all(backbone.blocks[0].attn_out.proj.bias == 0)


def test_checkpoint_weights_are_loaded(photo_files, tmp_path):
    model = get_model(osp.join(ROOT, DIGITS_CONFIG))
    state = {k: v + 1 for k, v in model.state_dict().items()}
    path = str(tmp_path / 'plus_one.pth')
    torch.save({'state_dict': state}, path)
    loaded, _, _ = load_backbone_and_images(
        osp.join(ROOT, DIGITS_CONFIG), path, photo_files[:1], 16)
    for key, value in loaded.state_dict().items():
        torch.testing.assert_close(value, state[f'backbone.{key}'])


@pytest.mark.parametrize('size,images,error,fact', [
    (20, None, ValueError, 'size 20 is not divisible by the patch size 8'),
    (16, ['no/such.png'], FileNotFoundError, 'no/such.png'),
])
def test_bad_size_and_missing_image_are_named(photo_files, size, images, error,
                                              fact):
    with pytest.raises(error, match=fact):
        load_backbone_and_images(
            osp.join(ROOT, DIGITS_CONFIG), None, images or photo_files, size)


def test_a_backbone_other_than_tnt_is_refused(photo_files):
    config = osp.join(ROOT,
                      'configs/pyramid_tnt/pyramid-tnt-ti_8xb128_in1k.py')
    with pytest.raises(ValueError, match='PyramidTNT, not a TNT'):
        load_backbone_and_images(config, None, photo_files, 32)
