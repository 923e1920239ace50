"""A pipeline step that refuses a broken image/label pair, naming both files.
"""
import numpy as np
from mmcv.transforms import BaseTransform

from mmtnt.registry import TRANSFORMS


@TRANSFORMS.register_module()
class CheckSegLabel(BaseTransform):
    """Check ``gt_seg_map`` right after ``LoadAnnotations``.

    Args:
        num_classes (int): Classes the model predicts (150 for ADE20K).
        ignore_index (int): The label value that is ignored. Defaults to 255.

    Raises ``ValueError`` naming the label file (and its image) when the label
    map and the image differ in size, or when it holds values that are neither
    a class nor ``ignore_index``. Values are reported as stored in the file:
    with ``reduce_zero_label`` (ADE20K) the file holds 0 ("other") and
    1..num_classes.
    """

    def __init__(self, num_classes, ignore_index=255):
        self.num_classes = num_classes
        self.ignore_index = ignore_index

    def transform(self, results):
        # inference pipelines drop LoadAnnotations
        if 'gt_seg_map' not in results:
            return results
        label = results['gt_seg_map']
        img_path, seg_path = results.get('img_path'), results.get(
            'seg_map_path')
        # The image as read from disk: test pipelines resize it before loading
        # the label.
        img_shape = results.get('ori_shape') or results['img'].shape[:2]
        if img_shape is not None and tuple(
                label.shape[:2]) != tuple(img_shape):
            raise ValueError(
                f'{seg_path}: the label map is {label.shape[0]}x{label.shape[1]} but its image {img_path} is {img_shape[0]}x{img_shape[1]}; images and annotations must be pairs of the same size with the same file name.'  # noqa: E501
            )
        values = np.unique(label)
        bad = values[(values >= self.num_classes)
                     & (values != self.ignore_index)]
        if bad.size:
            reduced = bool(results.get('reduce_zero_label'))
            stored = [int(v) + 1 for v in bad[:5]
                      ] if reduced else [int(v) for v in bad[:5]]
            allowed = (
                f'0 (other) to {self.num_classes}' if reduced else
                f'0 to {self.num_classes - 1} or {self.ignore_index} (ignored)'
            )
            raise ValueError(
                f'{seg_path}: label values {stored} are out of range; this dataset expects {allowed}. Fix or remove the file (image: {img_path}).'  # noqa: E501
            )
        return results

    def __repr__(self):
        return (
            f'{self.__class__.__name__}(num_classes={self.num_classes}, ignore_index={self.ignore_index})'  # noqa: E501
        )
