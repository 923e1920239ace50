"""Config + checkpoint + image files -> a TNT backbone and its normalised
input.
"""
import os.path as osp

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from PIL import Image

from mmtnt.apis import get_model


def init_quietly(model):
    """Random initialisation without mmengine's INFO line per parameter (a
    thousand lines).
    """
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel('WARNING')
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)


def load_backbone_and_images(config,
                             checkpoint,
                             images,
                             size,
                             device='cpu',
                             cfg_options=None):
    """Return (backbone, normalised (B, 3, size, size) batch, list of RGB uint8
    arrays).

    The model comes from :func:`mmtnt.apis.get_model` (any TNT checkpoint
    format; random initialisation when ``checkpoint`` is None) and the
    normalisation from its data preprocessor, so the figures see what the
    classifier sees. Images are resized to a square ``size`` (divisible by the
    patch size) with PIL's bicubic filter.
    """

    cfg = Config.fromfile(config) if isinstance(config, str) else config
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    model = get_model(cfg, checkpoint, device=device)
    if checkpoint is None:
        init_quietly(model)
    backbone = getattr(model, 'backbone', model)
    if not hasattr(backbone, 'blocks') or not hasattr(backbone, 'pixel_embed'):
        raise ValueError(
            f'{config}: the model\'s backbone is {type(backbone).__name__}, not a TNT; these figures need mmtnt.TNT.'  # noqa: E501
        )
    p = backbone.patch_size
    if size % p:
        raise ValueError(
            f'--size {size} is not divisible by the patch size {p}.')
    rgbs = []
    for path in images:
        if not osp.isfile(path):
            raise FileNotFoundError(f'image {path} does not exist.')
        img = Image.open(path).convert('RGB').resize((size, size),
                                                     Image.BICUBIC)
        rgbs.append(np.asarray(img))
    batch = [torch.from_numpy(rgb.copy()).permute(2, 0, 1) for rgb in rgbs]
    # The preprocessor expects BGR-loaded images when it converts to RGB; ours
    # are RGB already.
    preprocessor = model.data_preprocessor
    if getattr(preprocessor, 'to_rgb', False):
        batch = [b.flip(0) for b in batch]
    inputs = preprocessor(dict(inputs=batch), False)['inputs']
    return backbone, inputs.to(device), rgbs
