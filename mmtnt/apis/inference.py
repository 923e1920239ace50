"""``get_model`` / ``inference_model`` for mmtnt configs, on top of mmpretrain's APIs.

mmpretrain's versions take a config path or Config but only know mmpretrain's model zoo names;
these make sure mmtnt's modules are registered and add the top-k classes to the result.
"""
import numpy as np
from mmpretrain.apis import ImageClassificationInferencer
from mmpretrain.apis import get_model as _mmpretrain_get_model

import mmtnt.models  # noqa: F401  (registers mmtnt.TNT, mmtnt.TNTClsHead)


def get_model(config, checkpoint=None, device='cpu', **kwargs):
    """Build the classifier of ``config`` (path or Config) and load ``checkpoint``.

    Any TNT checkpoint format loads (see :mod:`mmtnt.checkpoint`); class names come from the
    checkpoint's ``dataset_meta`` or the config's test dataset. ``kwargs`` override ``model``.
    """
    return _mmpretrain_get_model(config, pretrained=checkpoint or False, device=device, **kwargs)


def inference_model(model, image, topk=5, batch_size=1):
    """Classify ``image`` (path or HxWx3 BGR array; a list for several).

    Returns a dict (a list of dicts for a list) with ``pred_label``, ``pred_score``,
    ``pred_class`` and ``topk``: [(class, score), ...] best first.
    """
    inferencer = ImageClassificationInferencer(model=model, device=next(model.parameters()).device)
    images = image if isinstance(image, list) else [image]
    results = inferencer(images, batch_size=batch_size)
    classes = inferencer.classes
    for result in results:
        scores = np.asarray(result['pred_scores'])
        order = np.argsort(-scores)[:topk]
        result['topk'] = [(classes[i] if classes else int(i), float(scores[i])) for i in order]
    return results if isinstance(image, list) else results[0]
