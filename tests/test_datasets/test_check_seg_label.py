"""CheckSegLabel on label maps as LoadAnnotations leaves them: a wrong size
or a value out of range stops naming both files, reported as stored in the
file (with and without reduce_zero_label)."""
import numpy as np
import pytest

from mmtnt.datasets import CheckSegLabel


def results(label, ori_shape=(4, 6), reduce=False):
    return {
        'gt_seg_map': label,
        'img_path': 'img/a.jpg',
        'seg_map_path': 'ann/a.png',
        'ori_shape': ori_shape,
        'img': np.zeros((8, 12, 3), np.uint8),  # resized: not what is checked
        'reduce_zero_label': reduce,
    }


def test_good_maps_and_inference_pass():
    check = CheckSegLabel(num_classes=3)
    label = np.array([[0, 1, 2, 255, 0, 1]] * 4, np.uint8)
    assert check(results(label)) is not None
    inference = {'img': np.zeros((2, 2, 3))}  # no LoadAnnotations
    assert check(inference) is inference
    assert repr(check) == 'CheckSegLabel(num_classes=3, ignore_index=255)'


def test_size_is_that_of_the_image_as_read():
    check = CheckSegLabel(num_classes=3)
    with pytest.raises(ValueError) as err:
        check(results(np.zeros((4, 5), np.uint8)))
    assert str(err.value) == (
        'ann/a.png: the label map is 4x5 but its image img/a.jpg is 4x6; '
        'images and annotations must be pairs of the same size with the same '
        'file name.')
    no_ori = results(np.zeros((8, 12), np.uint8), ori_shape=None)
    assert check(no_ori) is not None  # falls back to the image's shape


def test_values_out_of_range_as_stored_in_the_file():
    label = np.array([[0, 1, 2, 3, 7, 254]] * 4, np.uint8)
    with pytest.raises(ValueError) as err:
        CheckSegLabel(num_classes=3)(results(label))
    assert str(err.value) == (
        'ann/a.png: label values [3, 7, 254] are out of range; this dataset '
        'expects 0 to 2 or 255 (ignored). Fix or remove the file (image: '
        'img/a.jpg).')
    # ADE20K: the file holds 0 (other) and 1..150, loaded as 255 and 0..149
    reduced = np.array([[0, 149, 150, 255, 0, 0]] * 4, np.uint8)
    with pytest.raises(ValueError) as err:
        CheckSegLabel(num_classes=150)(results(reduced, reduce=True))
    assert str(err.value).startswith(
        'ann/a.png: label values [151] are out of range; this dataset expects '
        '0 (other) to 150.')
    custom = CheckSegLabel(num_classes=3, ignore_index=9)
    assert custom(results(np.full((4, 6), 9, np.uint8))) is not None
