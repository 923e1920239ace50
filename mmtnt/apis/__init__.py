from .export import export_onnx, onnx_max_difference
from .inference import get_inferencer, get_model, inference_model
from .model_zoo import list_models, model_info

__all__ = [
    'export_onnx', 'get_inferencer', 'get_model', 'inference_model',
    'list_models', 'model_info', 'onnx_max_difference'
]
