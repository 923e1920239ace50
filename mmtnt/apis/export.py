"""mmtnt classifiers to ONNX with torch's exporter, checked with onnxruntime.

    from mmtnt.apis import export_onnx, get_model, onnx_max_difference
    model = get_model('configs/tnt/tnt-s_16xb64_in1k.py', 'tnt_s_81.5.pth.tar')
    export_onnx(model, 'tnt_s.onnx', dynamic_batch=True, dynamic_hw=True)

The graph takes the data preprocessor's output (normalised (B, 3, H, W)
float32) and returns the logits; the fused inner transformer is left out (its
eager modules are exported), so the graph holds standard ONNX ops only.
docs/deployment.md lists what exports with which dynamic axes.
"""
import torch
from torch import nn

EXPORTERS = ('dynamo', 'torchscript')


class LogitsOnly(nn.Module):
    """A classifier as ``images -> logits`` (``mode='tensor'``)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, images):
        return self.model(images, mode='tensor')


def _check_classifier(model):
    from mmpretrain.models import ImageClassifier
    if not isinstance(model, ImageClassifier):
        raise ValueError(
            f'export_onnx: {type(model).__name__} is not supported yet; mmtnt exports classifiers (mmpretrain ImageClassifier) to ONNX, detectors and segmentors not yet (docs/deployment.md).'  # noqa: E501
        )


def export_onnx(model,
                path,
                img_size=(224, 224),
                batch_size=2,
                dynamic_batch=True,
                dynamic_hw=False,
                opset=18,
                exporter='dynamo'):
    """Write ``model`` (a classifier) to ``path`` as ONNX.

    Args:
        model (nn.Module): An mmpretrain ImageClassifier, e.g. from
            :func:`mmtnt.apis.get_model`.
        path (str): The .onnx file.
        img_size (tuple[int, int]): (H, W) of the traced input.
        batch_size (int): Batch of the traced input.
        dynamic_batch (bool): Any batch size at run time.
        dynamic_hw (bool): Any height and width at run time.
        opset (int): ONNX opset.
        exporter (str): ``'dynamo'`` (torch.export) or ``'torchscript'``.

    Returns:
        str: ``path``.
    """
    _check_classifier(model)
    if exporter not in EXPORTERS:
        raise ValueError(
            f'export_onnx: exporter must be one of {EXPORTERS}, got {exporter!r}.'  # noqa: E501
        )
    net = LogitsOnly(model).eval()
    images = torch.randn(batch_size, 3, *img_size)
    axes = {}
    if dynamic_batch:
        axes[0] = 'batch'
    if dynamic_hw:
        axes.update({2: 'height', 3: 'width'})
    if exporter == 'dynamo':
        dims = {
            i:
            torch.export.Dim(name, min=1)
            if name == 'batch' else torch.export.Dim.AUTO
            for i, name in axes.items()
        }
        torch.onnx.export(
            net, (images, ),
            path,
            dynamo=True,
            dynamic_shapes=(dims, ) if dims else None,
            opset_version=opset)
    else:
        torch.onnx.export(
            net, (images, ),
            path,
            dynamo=False,
            input_names=['images'],
            output_names=['logits'],
            dynamic_axes={'images': axes} if axes else None,
            opset_version=opset)
    return path


def onnx_max_difference(model, path, images):
    """Largest absolute difference between the logits of ``model`` and of
    the ONNX file ``path`` (onnxruntime, CPU) on ``images`` (B, 3, H, W)."""
    import onnxruntime as ort
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    with torch.no_grad():
        expected = LogitsOnly(model).eval()(images)
    got = session.run(None, {session.get_inputs()[0].name: images.numpy()})[0]
    return float((torch.from_numpy(got) - expected).abs().max())
