"""The ``mmtnt`` registry scope: children of mmengine's root registries.

Any config reaches an mmtnt module with the scope prefix, e.g.
``backbone=dict(type='mmtnt.TNT', ...)`` (docs/registry.md).
"""
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import Registry

MODELS = Registry(
    'model', parent=MMENGINE_MODELS, scope='mmtnt', locations=['mmtnt.models'])
TRANSFORMS = Registry(
    'transform',
    parent=MMENGINE_TRANSFORMS,
    scope='mmtnt',
    locations=['mmtnt.datasets'])
DATASETS = Registry(
    'dataset',
    parent=MMENGINE_DATASETS,
    scope='mmtnt',
    locations=['mmtnt.datasets'])

HOOKS = Registry(
    'hook', parent=MMENGINE_HOOKS, scope='mmtnt', locations=['mmtnt.engine'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper',
    parent=MMENGINE_OPTIM_WRAPPERS,
    scope='mmtnt',
    locations=['mmtnt.engine'])

__all__ = ['DATASETS', 'HOOKS', 'MODELS', 'OPTIM_WRAPPERS', 'TRANSFORMS']
