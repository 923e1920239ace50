"""Reading configs: the ``mmtnt::`` package scope and one-line errors for bad
paths and scopes."""
import os.path as osp

from mmengine.config import Config
from mmengine.config import utils as config_utils
from mmengine.config.utils import ConfigParsingError

SCOPE = 'mmtnt'
# mmengine finds a ``pkg::`` package's folder with ``get_installed_path``.
# Given the distribution name it asks pkg_resources, which points an editable
# install at site-packages; given a module of the package it falls back to
# import, which finds the package wherever it lives (wheel, editable install or
# PYTHONPATH).
PACKAGE_LOOKUP = 'mmtnt.version'


def register_config_scope():
    """Let configs inherit ``mmtnt::tnt/tnt-s_16xb64_in1k.py`` (adds mmtnt to
    mmengine's list).
    """
    config_utils.MODULE2PACKAGE.setdefault(SCOPE, PACKAGE_LOOKUP)


class ConfigError(ValueError):
    """A config file that cannot be read: a missing file or base, an unknown
    package scope, or an environment mmengine cannot read scopes in."""


def load_config(path, cfg_options=None):
    """``Config.fromfile`` for mmtnt's tools and APIs; bad input raises
    :class:`ConfigError` with one line.

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
        where = here if osp.isdir(here) else 'configs/ in the checkout'
        raise ConfigError(
            f"config file {path!r} does not exist (mmtnt's configs are under {where})."  # noqa: E501
        )
    register_config_scope()
    try:
        cfg = Config.fromfile(path)
    except FileNotFoundError as err:
        raise ConfigError(
            f'{path}: a _base_ config is missing: {err}.{_package_folder(err)}'
        ) from None
    except AssertionError as err:
        if 'does not support to load' not in str(err):
            raise
        known = ', '.join(f'{k}::'
                          for k in sorted(config_utils.MODULE2PACKAGE))
        raise ConfigError(
            f'{path}: {err}. Known package scopes: {known}.') from None
    except ConfigParsingError as err:  # lazy-import config: a missing base
        raise ConfigError(f'{path}: {err}') from None
    except ModuleNotFoundError as err:
        if err.name != 'pkg_resources':
            raise
        raise ConfigError(
            f'{path}: mmengine needs pkg_resources for package-scope configs (pkg:: bases, lazy-import bases from a package), and this environment has none (setuptools>=82 removed it). Install setuptools>=77,<82 (`make setup` does).'  # noqa: E501
        ) from None
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    drop_collate_fn_scope(cfg)
    return cfg


def drop_collate_fn_scope(cfg):
    """Remove the ``_scope_`` mmengine stamps on a dataloader's
    ``collate_fn`` dict inherited through a ``pkg::`` config: mmengine 0.10's
    Runner passes it on to the function as an argument, which fails."""
    for key, value in cfg.items():
        if key.endswith('_dataloader') and isinstance(value, dict):
            collate_fn = value.get('collate_fn')
            if isinstance(collate_fn, dict):
                collate_fn.pop('_scope_', None)


def _package_folder(err):
    """Where an installed package's configs are, for a missing base's error.
    """
    missing = str(err)
    if '/.mim/configs/' not in missing:
        return ''
    folder = missing.split('/.mim/configs/')[0] + '/.mim/configs'
    return f" The package's configs are in {folder}."
