"""Models by name from mmtnt's model index (``model-index.yml`` and its
metafiles).
"""
import difflib
import fnmatch
import functools
import os.path as osp

from modelindex.load_model_index import load

PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))


def index_root():
    """The folder that holds ``model-index.yml`` and ``configs/``:
    ``mmtnt/.mim`` when installed, else the checkout (mmtnt on
    ``PYTHONPATH``)."""
    for root in (osp.join(PACKAGE_DIR, '.mim'), osp.dirname(PACKAGE_DIR)):
        # both: a copy of the package may carry .mim/model-index.yml alone
        if osp.isfile(osp.join(root, 'model-index.yml')) and osp.isdir(
                osp.join(root, 'configs')):
            return root
    raise FileNotFoundError(
        f'{PACKAGE_DIR} has no .mim/model-index.yml and configs/: install mmtnt with pip (`pip install -e .` or a wheel), which puts them there.'  # noqa: E501
    )


@functools.lru_cache(maxsize=None)
def _models():
    root = index_root()
    index = load(osp.join(root, 'model-index.yml'))
    index.build_models_with_collections()
    models = {}
    for model in index.models:
        model.config = osp.join(root, model.config)
        models[model.name.lower()] = model
    return models


def list_models(pattern=None, task=None):
    """Names of mmtnt's models, e.g. ``list_models('tnt*')``.

    Args:
        pattern (str, optional): A wildcard pattern (fnmatch) over the names.
        task (str, optional): Only models with a result for this task, e.g.
            ``'Image Classification'``, ``'Object Detection'``, ``'Semantic
            Segmentation'``.

    Returns:
        list[str]: Sorted names.
    """
    names = []
    for name, model in _models().items():
        if pattern and not fnmatch.fnmatch(name, pattern.lower()):
            continue
        if task and not any(r.task == task for r in model.results or []):
            continue
        names.append(name)
    return sorted(names)


def model_info(name):
    """The index entry of ``name`` (``.config``: absolute config path,
    ``.weights``: URL or None, ``.results``, ``.metadata``). An unknown name
    raises ``ValueError`` naming the closest ones."""
    model = _models().get(name.lower())
    if model is None:
        close = difflib.get_close_matches(
            name.lower(), list(_models()), n=5, cutoff=0.5)
        hint = f'; did you mean {", ".join(close)}?' if close else ''
        raise ValueError(
            f'no model named {name!r} in mmtnt\'s model index{hint} (mmtnt.apis.list_models() lists them all).'  # noqa: E501
        )
    return model
