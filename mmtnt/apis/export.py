"""mmtnt models to ONNX with torch's exporter, checked with onnxruntime.

    from mmtnt.apis import export_onnx, get_model, onnx_max_difference
    model = get_model('configs/tnt/tnt-s_16xb64_in1k.py', 'tnt_s_81.5.pth.tar')
    export_onnx(model, 'tnt_s.onnx', dynamic_batch=True, dynamic_hw=True)

A graph takes the data preprocessor's output (normalised (B, 3, H, W)
float32) and returns a classifier's logits or a detector's or segmentor's raw
head outputs (:mod:`mmtnt.deploy.graphs`; a two-stage detector writes a second
file, ``*.roi_head.onnx``). The fused inner transformer is left out (its eager
modules are exported), so the graphs hold standard ONNX ops only.
docs/deployment.md lists what exports with which dynamic axes.
"""
import inspect

import torch

from mmtnt.deploy.graphs import BATCH, graph_path, graphs_of

EXPORTERS = ('dynamo', 'torchscript')


def _dynamo_shapes(graph):
    batch = torch.export.Dim(BATCH, min=1)
    shapes = tuple({
        axis: batch if name == BATCH else torch.export.Dim.AUTO
        for axis, name in graph.axes.get(i, {}).items()
    } for i in range(len(graph.inputs)))
    params = inspect.signature(graph.module.forward).parameters.values()
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return (shapes, )  # forward(*inputs): one argument, a tuple
    return shapes


def _export_graph(graph, path, opset, exporter):
    graph.module.eval()
    if exporter == 'dynamo':
        torch.onnx.export(
            graph.module,
            graph.inputs,
            path,
            dynamo=True,
            external_data=False,  # one file (models under 2 GB)
            dynamic_shapes=_dynamo_shapes(graph) if graph.axes else None,
            input_names=graph.input_names,
            output_names=graph.output_names,
            opset_version=opset)
        return
    axes = {
        graph.input_names[i]: {
            axis: f'{name}_{i}' if name != BATCH else name
            for axis, name in named.items()
        }
        for i, named in graph.axes.items() if named
    }
    torch.onnx.export(
        graph.module,
        graph.inputs,
        path,
        dynamo=False,
        input_names=graph.input_names,
        output_names=graph.output_names,
        dynamic_axes=axes or None,
        opset_version=opset)


def export_onnx(model,
                path,
                img_size=(224, 224),
                batch_size=2,
                dynamic_batch=True,
                dynamic_hw=False,
                opset=20,
                exporter='dynamo'):
    """Write ``model`` to ``path`` as ONNX (and a two-stage detector's second
    stage to :func:`graph_path` ``(path, '.roi_head')``).

    Args:
        model (nn.Module): An mmpretrain ImageClassifier, mmdet DETR or
            two-stage detector (no mask head), or mmseg EncoderDecoder, e.g.
            from :func:`mmtnt.apis.get_model`.
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
    if exporter not in EXPORTERS:
        raise ValueError(
            f'export_onnx: exporter must be one of {EXPORTERS}, got {exporter!r}.'  # noqa: E501
        )
    model.eval()
    images = torch.randn(batch_size, 3, *img_size)
    graphs = graphs_of(model, images, dynamic_batch, dynamic_hw)
    # without autograd, as at inference: TNT's inner attention takes its
    # folded form, which onnxruntime runs faster (docs/deployment.md)
    with torch.no_grad():
        for suffix, graph in graphs.items():
            _export_graph(graph, graph_path(path, suffix), opset, exporter)
    return path


def onnx_max_difference(model, path, images):
    """Largest difference between the outputs of ``model``'s graphs in torch
    and in the ONNX files at ``path`` (onnxruntime, CPU) on ``images``
    (B, 3, H, W), each output's absolute difference divided by its largest
    magnitude where that exceeds 1 (a detector's feature maps reach ~20).
    A detector's other inputs are made up as at export
    (:func:`mmtnt.deploy.graphs.graphs_of`)."""
    import onnxruntime as ort
    largest = 0.
    for suffix, graph in graphs_of(model.eval(), images).items():
        session = ort.InferenceSession(
            graph_path(path, suffix), providers=['CPUExecutionProvider'])
        with torch.no_grad():
            expected = graph.module(*graph.inputs)
        expected = expected if isinstance(expected, tuple) else (expected, )
        got = session.run(
            None, {
                arg.name: value.numpy()
                for arg, value in zip(session.get_inputs(), graph.inputs)
            })
        for ours, theirs in zip(got, expected):
            diff = (torch.from_numpy(ours) - theirs).abs().max()
            largest = max(largest,
                          float(diff / theirs.abs().max().clamp(min=1)))
    return largest
