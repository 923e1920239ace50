"""ONNX graphs of mmtnt models and an onnxruntime-backed model that runs
them with the toolboxes' own post-processing."""
from .graphs import graph_path, graphs_of, model_kind
from .onnx_model import OnnxModel

__all__ = ['graph_path', 'graphs_of', 'model_kind', 'OnnxModel']
