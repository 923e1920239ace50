"""An mmtnt model whose network runs in onnxruntime.

    from mmtnt.deploy import OnnxModel
    model = OnnxModel(get_model(config), 'model.onnx')
    results = model.test_step(data_batch)   # as the torch model's

The graphs (:mod:`mmtnt.deploy.graphs`) give raw outputs; the torch model's
own post-processing turns them into data samples: mmpretrain's scores and
labels, mmdet's box decoding and NMS (between the stages of a two-stage
detector too), mmseg's sliding window, resize and argmax. It serves
mmengine's test loop (tools/deployment/test_onnx.py) and the toolboxes'
inferencers (:func:`mmtnt.apis.get_inferencer` with a .onnx file).
"""
import os.path as osp
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel

from .graphs import graph_path, model_kind

GRAPH_SUFFIXES = {'two_stage': ('', '.roi_head')}


class OnnxModel(BaseModel):
    """``model`` (an mmtnt classifier, detector or segmentor in torch) with
    its network replaced by the ONNX file ``path`` run in onnxruntime.

    Args:
        model (BaseModel): The torch model: its data preprocessor,
            ``dataset_meta`` and post-processing are used, not its weights.
        path (str): The .onnx file written by :func:`mmtnt.apis.export_onnx`
            for a model of the same config.
        providers (list[str]): onnxruntime execution providers.
    """

    def __init__(self, model, path, providers=('CPUExecutionProvider', )):
        super().__init__(data_preprocessor=model.data_preprocessor)
        import onnxruntime as ort
        self.kind = model_kind(model)
        self.model = model.eval()
        self.dataset_meta = getattr(model, 'dataset_meta', None)
        self.sessions = {}
        for suffix in GRAPH_SUFFIXES.get(self.kind, ('', )):
            file = graph_path(path, suffix)
            if not osp.isfile(file):
                raise FileNotFoundError(
                    f'OnnxModel: {file} does not exist; tools/deployment/pytorch2onnx.py writes it (a two-stage detector has two files: x.onnx and x.roi_head.onnx).'  # noqa: E501
                )
            self.sessions[suffix] = ort.InferenceSession(
                file, providers=list(providers))

    def run(self, suffix, *inputs):
        """Outputs of the graph ``suffix`` on ``inputs`` (tensors)."""
        session = self.sessions[suffix]
        feed = {
            arg.name: value.detach().cpu().numpy()
            for arg, value in zip(session.get_inputs(), inputs)
        }
        return [torch.from_numpy(out) for out in session.run(None, feed)]

    def forward(self, inputs, data_samples=None, mode='predict'):
        if mode == 'tensor':
            return self.run('', inputs)
        if mode != 'predict':
            raise ValueError(
                f"OnnxModel: mode must be 'predict' or 'tensor', got {mode!r}; an ONNX model does not train."  # noqa: E501
            )
        predict = getattr(self, f'_predict_{self.kind}')
        return predict(inputs, data_samples)

    def _predict_classifier(self, inputs, data_samples):
        from mmpretrain.structures import DataSample
        scores = F.softmax(self.run('', inputs)[0], dim=1)
        labels = scores.argmax(dim=1, keepdim=True)
        data_samples = data_samples or [DataSample() for _ in scores]
        for sample, score, label in zip(data_samples, scores, labels):
            sample.set_pred_score(score).set_pred_label(label)
        return data_samples

    def _predict_segmentor(self, inputs, data_samples):
        """mmseg's own inference with the graph as ``encode_decode``."""
        from mmseg.models import EncoderDecoder
        model = self.model
        metas = [sample.metainfo for sample in data_samples]

        def encode_decode(images, batch_img_metas):
            logits = self.run('', images)[0]
            return model.decode_head.predict_by_feat(logits, batch_img_metas)

        if model.test_cfg.mode == 'slide':
            view = SimpleNamespace(
                test_cfg=model.test_cfg,
                out_channels=model.out_channels,
                encode_decode=encode_decode)
            seg_logits = EncoderDecoder.slide_inference(view, inputs, metas)
        else:
            seg_logits = encode_decode(inputs, metas)
        return model.postprocess_result(seg_logits, data_samples)

    def _predict_detr(self, inputs, data_samples):
        metas = [sample.metainfo for sample in data_samples]
        valid_hw = torch.tensor([meta['img_shape'][:2] for meta in metas])
        cls_scores, bbox_preds = self.run('', inputs, valid_hw)
        results = self.model.bbox_head.predict_by_feat(
            cls_scores[None], bbox_preds[None], batch_img_metas=metas)
        return self.model.add_pred_to_datasample(data_samples, results)

    def _predict_single_stage(self, inputs, data_samples):
        """mmdet's dense-head post-processing (decoding, NMS)."""
        head = self.model.bbox_head
        metas = [sample.metainfo for sample in data_samples]
        flat = self.run('', inputs)
        levels = len(head.prior_generator.strides)
        outputs = [flat[i:i + levels] for i in range(0, len(flat), levels)]
        results = head.predict_by_feat(
            *outputs, batch_img_metas=metas, rescale=True)
        return self.model.add_pred_to_datasample(data_samples, results)

    def _predict_two_stage(self, inputs, data_samples):
        """mmdet's RPN post-processing and ``predict_bbox`` around the two
        graphs."""
        from mmdet.models.roi_heads import StandardRoIHead
        model, roi_head = self.model, self.model.roi_head
        metas = [sample.metainfo for sample in data_samples]
        outputs = self.run('', inputs)
        levels = len(outputs) // 3
        feats = outputs[:levels]
        proposals = model.rpn_head.predict_by_feat(
            outputs[levels:2 * levels],
            outputs[2 * levels:],
            batch_img_metas=metas,
            rescale=False)
        num_rois = len(roi_head.bbox_roi_extractor.roi_layers)

        def bbox_forward(x, rois):
            cls_score, bbox_pred = self.run('.roi_head', *x[:num_rois], rois)
            return dict(cls_score=cls_score, bbox_pred=bbox_pred)

        view = SimpleNamespace(
            bbox_head=roi_head.bbox_head, _bbox_forward=bbox_forward)
        results = StandardRoIHead.predict_bbox(
            view,
            feats,
            metas,
            proposals,
            rcnn_test_cfg=roi_head.test_cfg,
            rescale=True)
        return model.add_pred_to_datasample(data_samples, results)
