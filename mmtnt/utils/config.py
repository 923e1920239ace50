"""Reading configs: the ``mmtnt::`` package scope and one-line errors for bad
paths and keys.
"""
import os.path as osp

from mmengine.config import Config
from mmengine.config import utils as config_utils

SCOPE = 'mmtnt'
# mmengine finds a ``pkg::`` package's folder with ``get_installed_path``.
# Given the distribution name it asks pkg_resources, which points an editable
# install at site-packages; given a module of the package it falls back to
# import, which finds the package wherever it lives (wheel, editable install or
# PYTHONPATH).
PACKAGE_LOOKUP = 'mmtnt.version'
AMP_CLIP_NORM = 5.0  # mmpretrain's Swin/DeiT-style AdamW recipes clip at 5.0


def register_config_scope():
    """Let configs inherit ``mmtnt::tnt/tnt-s_16xb64_in1k.py`` (adds mmtnt to
    mmengine's list).
    """
    config_utils.MODULE2PACKAGE.setdefault(SCOPE, PACKAGE_LOOKUP)


def drop_own_scope(node):
    """Remove the ``_scope_='mmtnt'`` that mmengine gives dicts inherited
    through ``mmtnt::``.

    mmengine builds a ``pkg::`` base's objects in the scope ``pkg``; mmtnt's
    configs are mmpretrain, mmdet or mmseg configs (their ``default_scope``),
    so their objects are built there.
    """
    if isinstance(node, dict):
        if node.get('_scope_') == SCOPE:
            node.pop('_scope_')
        for value in node.values():
            drop_own_scope(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            drop_own_scope(value)


def load_config(path, cfg_options=None):
    """``Config.fromfile`` for mmtnt's tools and APIs; bad input exits with one
    line.

    Args:
        path (str): A config file. Its ``_base_`` may name ``mmtnt::``,
            ``mmpretrain::``, ``mmdet::`` or ``mmseg::`` configs.
        cfg_options (dict, optional): ``--cfg-options`` overrides.

    Returns:
        Config: The merged config.
    """
    if not osp.isfile(path):
        here = osp.join(
            osp.dirname(osp.dirname(osp.abspath(__file__))), '.mim', 'configs')
        raise SystemExit(
            f'error: config file {path!r} does not exist (mmtnt\'s configs '
            'are '
            f'under {here if osp.isdir(here) else "configs/ in the checkout"}'
            ').')
    register_config_scope()
    try:
        cfg = Config.fromfile(path)
    except FileNotFoundError as err:
        missing = str(err)
        folder = missing.split('/.mim/configs/')[0] + '/.mim/configs' \
            if '/.mim/configs/' in missing else None
        where = f" The package's configs are in {folder}." if folder else ''
        raise SystemExit(
            f'error: {path}: a _base_ config is missing: {missing}.{where}')
    except AssertionError as err:
        if 'does not support to load' not in str(err):
            raise
        known = ', '.join(f'{k}::'
                          for k in sorted(config_utils.MODULE2PACKAGE))
        raise SystemExit(
            f'error: {path}: {err}. Known package scopes: {known}.')
    except ModuleNotFoundError as err:
        if err.name != 'pkg_resources':
            raise
        raise SystemExit(
            f'error: {path}: mmengine needs pkg_resources for package-scope '
            'configs (pkg::), and '
            'this environment has none (setuptools>=82 removed it). Install '
            'setuptools>=77,<82 '
            '(`make setup` does).')
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    drop_own_scope(cfg._cfg_dict)
    return cfg


def amp_optim_wrapper(optim_wrapper, dtype='auto', scope=None):
    """``optim_wrapper`` (a config dict) under mixed precision, as
    ``tools/train.py --amp`` sets it: :class:`MixedPrecisionOptimWrapper`
    with ``dtype`` (``'auto'``: bfloat16 where the device computes in it,
    else float16 with a dynamic loss scale; see :func:`amp_dtype` for the
    config's ``scope``); the optimizer and a config's own clipping kept,
    gradients clipped to norm ``AMP_CLIP_NORM`` where it sets none."""
    from mmtnt.engine import amp_dtype
    wrapper = dict(optim_wrapper)
    wrapper.update(
        type='mmtnt.MixedPrecisionOptimWrapper',
        dtype=amp_dtype(dtype, scope=scope))
    if wrapper['dtype'] == 'float16':
        wrapper.setdefault('loss_scale', 'dynamic')
    else:
        wrapper.pop('loss_scale', None)
    if not wrapper.get('clip_grad'):  # docs/reliability.md: mixed precision
        wrapper['clip_grad'] = dict(max_norm=AMP_CLIP_NORM)
    return wrapper
