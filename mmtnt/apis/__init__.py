from .inference import get_inferencer, get_model, inference_model
from .model_zoo import list_models, model_info

__all__ = [
    'get_inferencer', 'get_model', 'inference_model', 'list_models',
    'model_info'
]
