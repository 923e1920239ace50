from .inference import get_model, inference_model

__all__ = ['get_model', 'inference_model']
