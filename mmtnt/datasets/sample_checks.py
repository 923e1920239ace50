"""Checks of one sample's files and annotations, shared by
tools/misc/verify_dataset.py and the training guard
(:class:`mmtnt.engine.BrokenDataHook`)."""
import io
import os.path as osp

import numpy as np
from mmengine import fileio
from PIL import Image


def pipeline_backend_args(dataset):
    """The ``backend_args`` the dataset's image loading step reads with
    (None: local files)."""
    for transform in getattr(
            getattr(dataset, 'pipeline', None), 'transforms', []):
        if getattr(transform, 'backend_args', None):
            return transform.backend_args
    return None


def open_image(path, backend_args=None):
    """``PIL.Image.open`` of a file read through mmengine's file backends."""
    if not backend_args:
        return Image.open(path)
    return Image.open(io.BytesIO(fileio.get(path, backend_args=backend_args)))


def read_ends(path, backend_args=None):
    """The first 8 and the last 1024 bytes of a file, read through mmengine's
    file backends (``backend_args``: the dataset's, as ``LoadImageFromFile``
    gets them), or None where it does not exist. Local files are read in part;
    other backends return whole files, and so the whole file is also
    returned: ``(head, tail, data or None)``."""
    if not backend_args and osp.isfile(path):
        with open(path, 'rb') as f:
            head = f.read(8)
            f.seek(max(0, osp.getsize(path) - 1024))
            return head, f.read(), None
    if not fileio.exists(path, backend_args=backend_args):
        return None
    data = fileio.get(path, backend_args=backend_args)
    return data[:8], data[-1024:], data


def check_image_file(path, decode=True, backend_args=None):
    """Problems of an image file: ``(errors, notes)``, lists of one-line
    strings.

    ``decode=False`` checks only that the file exists and ends as a complete
    JPEG/PNG does (what the training guard can afford per sample);
    ``decode=True`` decodes every pixel with PIL and also notes colour modes
    that are converted on load (CMYK, grayscale). ``backend_args``: read
    through that mmengine file backend (petrel, HTTP, LMDB, ...).
    """
    ends = read_ends(path, backend_args)
    if ends is None:
        return ['file does not exist'], []
    head, tail, data = ends
    if head[:3] == b'\xff\xd8\xff' and b'\xff\xd9' not in tail:
        return ['truncated JPEG (no end-of-image marker)'], []
    if head == b'\x89PNG\r\n\x1a\n' and b'IEND' not in tail:
        return ['truncated PNG (no IEND chunk)'], []
    if not decode:
        return [], []
    try:
        with Image.open(path if data is None else io.BytesIO(data)) as img:
            mode = img.mode
            img.load()
    # PIL: UnidentifiedImageError, OSError (truncated), ...
    except Exception as err:
        return [f'not a readable image ({type(err).__name__}: {err})'], []
    notes = []
    if mode == 'CMYK':
        notes.append('CMYK JPEG: converted to RGB when loaded')
    elif mode in ('L', 'LA', 'I', 'I;16', '1'):
        notes.append(
            f'grayscale ({mode}): its channel is repeated to RGB when loaded')
    return [], notes


def check_annotation(info, num_classes=None):
    """Problems of one ``get_data_info`` record: class labels out of range,
    boxes outside the image. Returns a list of one-line strings."""
    errors = []
    label = info.get('gt_label')
    if num_classes and label is not None:
        labels = np.atleast_1d(np.asarray(label))
        bad = labels[(labels < 0) | (labels >= num_classes)]
        if bad.size:
            errors.append(
                f'class label {int(bad[0])} is outside 0..{num_classes - 1}')
    width, height = info.get('width'), info.get('height')
    for instance in info.get('instances', []):
        x1, y1, x2, y2 = instance.get('bbox', (0, 0, 0, 0))
        if num_classes and not 0 <= instance.get('bbox_label',
                                                 0) < num_classes:
            errors.append(
                f'box label {instance["bbox_label"]} is outside 0..{num_classes - 1}'  # noqa: E501
            )
        if width and height and (x1 < 0 or y1 < 0 or x2 > width
                                 or y2 > height):
            errors.append(
                f'box {[round(v, 1) for v in (x1, y1, x2, y2)]} reaches outside the {width}x{height} image'  # noqa: E501
            )
    return errors


def sample_files(info):
    """The files a record names: its image and, for segmentation, its label
    map.
    """
    return [info[key] for key in ('img_path', 'seg_map_path') if info.get(key)]
