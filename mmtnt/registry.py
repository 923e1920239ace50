"""The ``mmtnt`` registry scope.

mmtnt's registries are children of mmengine's root registries, like those of mmpretrain,
mmdet and mmseg. Any config, whatever its ``default_scope``, reaches an mmtnt module with
the scope prefix, e.g. ``backbone=dict(type='mmtnt.TNT', ...)`` or
``dict(type='mmtnt.CheckSegLabel', ...)`` in a pipeline: mmengine imports ``mmtnt.registry``
on first use of the prefix and then the ``locations``. Modules built this way stay in the
caller's scope, so an mmtnt head's loss is still found in mmpretrain's registry and an mmtnt
neck's layers in mmdet's.
"""
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import Registry

MODELS = Registry('model', parent=MMENGINE_MODELS, scope='mmtnt', locations=['mmtnt.models'])
TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS, scope='mmtnt',
                      locations=['mmtnt.datasets'])
DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, scope='mmtnt',
                    locations=['mmtnt.datasets'])

HOOKS = Registry('hook', parent=MMENGINE_HOOKS, scope='mmtnt', locations=['mmtnt.engine'])

__all__ = ['DATASETS', 'HOOKS', 'MODELS', 'TRANSFORMS']
