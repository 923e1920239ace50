"""Build a model from a name, config path or Config; classify, detect or
segment images.
"""
import copy
import re

import numpy as np
from mmengine.config import Config
from mmengine.registry import DATASETS, MODELS, DefaultScope
from mmpretrain.apis import ImageClassificationInferencer

from mmtnt.checkpoint import load_checkpoint
from mmtnt.utils import load_config
from .model_zoo import model_info

TASK_INFERENCERS = {
    'mmpretrain': 'mmpretrain.apis.ImageClassificationInferencer',
    'mmdet': 'mmdet.apis.DetInferencer',
    'mmseg': 'mmseg.apis.MMSegInferencer',
}


def resolve(model):
    """(Config, released weights URL or None) of a model name, config path or
    Config.
    """
    if isinstance(model, Config):
        return model, None
    if isinstance(model, str) and model.endswith('.py'):
        return load_config(model), None
    if isinstance(model, str):
        info = model_info(model)
        return load_config(info.config), info.weights
    raise TypeError(
        f'model must be a name, a config path or a Config, got {type(model)}.')


def get_model(model,
              pretrained=False,
              device='cpu',
              url_mapping=None,
              **kwargs):
    """Build a classifier, detector or segmentor and load its weights.

    Args:
        model (str | Config): A name from :func:`mmtnt.apis.list_models`, a
            config path (its ``_base_`` may use ``mmtnt::``, ``mmdet::`` ...)
            or a Config.
        pretrained (bool | str): ``True``: the released weights of a named
            model; a path or URL: that checkpoint, in any TNT format
            (official, timm, mmpretrain, mmtnt); ``False``: no weights
            (random initialisation is left to the caller).
        device (str): Where the model goes.
        url_mapping (tuple[str, str], optional): ``(pattern, replacement)``
            applied to a URL with ``re.sub``, e.g. to read released files from
            a local mirror.
        **kwargs: Overrides of the config's ``model``.

    Returns:
        nn.Module: The model in eval mode, with ``dataset_meta`` (class names)
            and ``cfg``.
    """
    cfg, weights = resolve(model)
    cfg = cfg.copy()
    if pretrained is True:
        if weights is None:
            raise ValueError(
                f'{model!r} has no released weights; pass a checkpoint path as pretrained=, or train it with its config.'  # noqa: E501
            )
        pretrained = weights
    if kwargs:
        cfg.merge_from_dict({'model': kwargs})
    scope = cfg.get('default_scope', 'mmpretrain')
    cfg.model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    if cfg.model.get('data_preprocessor') is None:
        cfg.model.pop('data_preprocessor')
    with DefaultScope.overwrite_default_scope(scope):
        net = MODELS.build(copy.deepcopy(
            cfg.model))  # some heads edit their config in place
    meta = {}
    if pretrained:
        if url_mapping is not None:
            pretrained = re.sub(url_mapping[0], url_mapping[1], pretrained)
        meta = load_checkpoint(net, pretrained).get('meta', {}) or {}
    dataset_meta = meta.get('dataset_meta') or _dataset_meta(cfg, scope)
    # what mmseg's init_model keeps (its visualiser takes no more)
    if scope == 'mmseg':
        dataset_meta = {
            k: dataset_meta[k]
            for k in ('classes', 'palette') if k in dataset_meta
        }
    # The names each toolbox's inferencer and visualiser read.
    net.dataset_meta = net._dataset_meta = dataset_meta
    net.cfg = net._config = cfg
    return net.to(device).eval()


def _dataset_meta(cfg, scope):
    """Class names from the config's test dataset (its METAINFO or
    ``metainfo``).
    """
    loader = cfg.get('test_dataloader') or {}
    dataset = loader.get('dataset') or {}
    while 'dataset' in dataset:
        dataset = dataset['dataset']
    if dataset.get('metainfo'):
        return dict(dataset['metainfo'])
    if 'classes' in dataset:
        return {'classes': list(dataset['classes'])}
    name = dataset.get('type')
    if not isinstance(name, str):
        return {}
    dataset_cls = DATASETS.get(name if '.' in name else f'{scope}.{name}')
    return dict(getattr(dataset_cls, 'METAINFO', {}))


def get_inferencer(model, pretrained=False, device='cpu', onnx=None, **kwargs):
    """The toolbox's own inferencer for the model's task, with mmtnt's model
    inside.

    mmpretrain's ``ImageClassificationInferencer``, mmdet's ``DetInferencer``
    or mmseg's ``MMSegInferencer``, picked by the config's ``default_scope``.
    Call it on image paths or arrays; it returns the toolbox's own result dict.

    Args:
        model, pretrained, device, **kwargs: As for :func:`get_model`.
        onnx (str, optional): An ONNX file of this model
            (:func:`export_onnx`): the network runs in onnxruntime
            (:class:`mmtnt.deploy.OnnxModel`) and ``pretrained`` is not
            needed.
    """
    net = get_model(model, pretrained, device, **kwargs)
    if onnx is not None:
        from mmtnt.deploy import OnnxModel
        onnx_net = OnnxModel(net, onnx)
        onnx_net.cfg, onnx_net._config = net.cfg, net._config
        net = onnx_net
    scope = net.cfg.get('default_scope', 'mmpretrain')
    module, name = TASK_INFERENCERS[scope].rsplit('.', 1)
    inferencer_cls = getattr(__import__(module, fromlist=[name]), name)
    # The toolboxes' inferencers set the process's default scope; keep it to
    # this block.
    with DefaultScope.overwrite_default_scope(scope):
        if scope == 'mmpretrain':
            return inferencer_cls(model=net, device=device)
        inferencer = inferencer_cls(
            model=net.cfg,
            weights=None,
            device=device,
            **({
                'show_progress': False
            } if scope == 'mmdet' else {}))
    inferencer.model = net
    inferencer.visualizer.dataset_meta = net.dataset_meta
    return inferencer


def inference_model(model, image, topk=5, batch_size=1):
    """Classify ``image`` (path or HxWx3 BGR array; a list for several).

    Returns a dict (a list of dicts for a list) with ``pred_label``,
    ``pred_score``, ``pred_class`` and ``topk``: [(class, score), ...] best
    first.
    """
    inferencer = ImageClassificationInferencer(
        model=model, device=next(model.parameters()).device)
    images = image if isinstance(image, list) else [image]
    results = inferencer(images, batch_size=batch_size)
    classes = inferencer.classes
    for result in results:
        scores = np.asarray(result['pred_scores'])
        order = np.argsort(-scores)[:topk]
        result['topk'] = [(classes[i] if classes else int(i), float(scores[i]))
                          for i in order]
    return results if isinstance(image, list) else results[0]
