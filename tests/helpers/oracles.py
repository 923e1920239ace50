"""For tests: models that predict the ground truth their test pipeline loaded,
so that a test can check that a config's data, metric and tools/test.py give
a perfect score to perfect predictions."""
import torch
from mmdet.registry import MODELS as DET_MODELS
from mmengine.model import BaseModel
from mmengine.structures import InstanceData, PixelData
from mmseg.registry import MODELS as SEG_MODELS


def oracle_config(model_type, tmp_path):
    """Config lines that swap a config's model for the oracle ``model_type``,
    and a checkpoint that fills it: (text, checkpoint path)."""
    ckpt = str(tmp_path / 'oracle.pth')
    torch.save({'state_dict': {'unused': torch.zeros(1)}}, ckpt)
    text = ("custom_imports = dict(imports=['tests.helpers.oracles'], "
            'allow_failed_imports=False)\n'
            f"model = dict(_delete_=True, type='{model_type}')\n")
    return text, ckpt


FIXED_BOXES = [[20., 30., 120., 110.], [140., 40., 260., 150.]]
FIXED_SCORES = [0.9, 0.2]


class _Oracle(BaseModel):

    def __init__(self, data_preprocessor=None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor)
        # One weight, so that a checkpoint can fill the model.
        self.unused = torch.nn.Parameter(torch.zeros(1))

    def forward(self, inputs, data_samples=None, mode='predict'):
        assert mode == 'predict', 'an oracle only predicts'
        for sample in data_samples:
            self.predict_one(sample)
        return data_samples


@DET_MODELS.register_module()
class GroundTruthDetector(_Oracle):
    """Predicts each image's annotated boxes and labels with score 1."""

    def predict_one(self, sample):
        gt = sample.gt_instances
        sample.pred_instances = InstanceData(
            bboxes=gt.bboxes.tensor
            if hasattr(gt.bboxes, 'tensor') else gt.bboxes,
            labels=gt.labels,
            scores=torch.ones(len(gt.labels)))


@DET_MODELS.register_module()
class FixedBoxesDetector(_Oracle):
    """Predicts :data:`FIXED_BOXES` (image coordinates) with scores 0.9 and
    0.2 on every image."""

    def predict_one(self, sample):
        sample.pred_instances = InstanceData(
            bboxes=torch.tensor(FIXED_BOXES, dtype=torch.float32),
            labels=torch.tensor([0, 1]),
            scores=torch.tensor(FIXED_SCORES))


@SEG_MODELS.register_module()
class GroundTruthSegmentor(_Oracle):
    """Predicts each image's label map."""

    def predict_one(self, sample):
        sample.pred_sem_seg = PixelData(data=sample.gt_sem_seg.data.clone())
