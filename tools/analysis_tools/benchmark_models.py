"""Models and steps timed by benchmark.py beside this file and
tests/benchmarks: mmtnt's TNT and PyramidTNT, timm's TNT-S and DeiT-S,
mmpretrain's TNT-S."""
import ctypes
import time

import torch
from mmpretrain.models.backbones import TNT as MMPretrainTNT

from mmtnt.models.backbones.pyramid_tnt import PyramidTNT
from mmtnt.models.backbones.tnt import TNT

REFERENCE = 'timm-deit-s'
# Paper Table 5 (1-based block indices with the inner transformer).
TABLE5 = {
    'mmtnt-s-1': [1, 4, 8, 12],
    'mmtnt-s-2': [1, 6, 12],
    'mmtnt-s-3': [1, 6],
    'mmtnt-s-4': [1]
}
DEFAULT_MODELS = [
    'mmtnt-ti', 'mmtnt-s', 'mmtnt-s-eager', 'mmtnt-b', 'mmtnt-pyramid-ti',
    'mmtnt-pyramid-s', 'timm-tnt-s', 'timm-deit-s', 'mmpretrain-tnt-s'
]
DTYPES = {
    'float32': torch.float32,
    'bfloat16': torch.bfloat16,
    'float16': torch.float16
}


class Classifier(torch.nn.Module):
    """Backbone + linear head returning logits, the shape every model here is
    timed in.
    """

    def __init__(self, backbone, width, num_classes=1000):
        super().__init__()
        self.backbone = backbone
        self.head = torch.nn.Linear(width, num_classes)

    def forward(self, x):
        return self.head(self.backbone(x)[-1])


def build_model(name, img_size=224, with_cp=False):
    """Model for a name of ``DEFAULT_MODELS`` or ``TABLE5``; None when its
    library is missing.

    mmtnt TNT models use the fused inner transformer where it applies
    (``fused_inner='auto'``); ``mmtnt-s-eager`` never does. PyramidTNT
    (``mmtnt-pyramid-*``) is built for ``img_size``, as trained at it.
    """
    if name.startswith('mmtnt-pyramid-'):
        backbone = PyramidTNT(
            name.split('-')[2], img_size=img_size, with_cp=with_cp)
        return Classifier(backbone, backbone.embed_dims)
    if name.startswith('mmtnt-'):
        arch = name.split('-')[1]
        inner = None
        if name in TABLE5:
            arch, inner = 's', [i - 1 for i in TABLE5[name]]
        backbone = TNT(
            arch,
            img_size=img_size,
            inner_block_indices=inner,
            with_cp=with_cp,
            fused_inner=False if name.endswith('-eager') else 'auto')
        return Classifier(backbone, backbone.embed_dims)
    if name.startswith('timm-'):
        try:
            import timm
        except ImportError:
            return None
        arch = {
            'timm-tnt-s': 'tnt_s_patch16_224',
            'timm-deit-s': 'deit_small_patch16_224'
        }[name]
        return timm.create_model(arch, img_size=img_size)
    if name == 'mmpretrain-tnt-s':
        return Classifier(MMPretrainTNT('s', img_size=img_size), 384)
    raise ValueError(
        f'benchmark: unknown model {name!r}; choose from {DEFAULT_MODELS + list(TABLE5)}.'  # noqa: E501
    )


def tune_malloc():
    """Keep freed buffers in the process (glibc only): raise glibc's mmap and
    trim thresholds, so timings do not depend on page faults. Changes this
    process's allocator; call it only in a benchmark process.

    Returns:
        bool: Whether both thresholds were set.
    """
    try:
        libc = ctypes.CDLL('libc.so.6')
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    big = 1 << 30
    return bool(libc.mallopt(m_mmap_threshold, big)) and bool(
        libc.mallopt(m_trim_threshold, big))


class StepTimer:
    """One model's step in one mode, with its inputs and optimizer.

    Args:
        model (nn.Module): Image batch -> logits (e.g. from
            :func:`build_model`).
        mode (str): ``'infer'`` (forward under inference mode) or ``'train'``
            (forward, cross-entropy, backward, AdamW).
        batch_size (int): Images per step. Defaults to 16.
        img_size (int): Square input size. Defaults to 224.
        device (str): Defaults to ``'cpu'``.
        dtype (str): ``'float32'``, or ``'bfloat16'``/``'float16'`` autocast.
        compile (bool): Run ``torch.compile(model)``. Defaults to False.
    """

    def __init__(self,
                 model,
                 mode,
                 batch_size=16,
                 img_size=224,
                 device='cpu',
                 dtype='float32',
                 compile=False):
        self.mode = mode
        self.device = torch.device(device)
        self.model = model.to(self.device).train(mode == 'train')
        self.dtype = DTYPES[dtype]
        self.x = torch.randn(
            batch_size, 3, img_size, img_size, device=self.device)
        self.y = torch.randint(0, 1000, (batch_size, ), device=self.device)
        self.opt = None
        if mode == 'train':
            self.opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
        self.fn = torch.compile(self.model) if compile else self.model

    def autocast(self):
        return torch.autocast(
            self.device.type,
            dtype=self.dtype,
            enabled=self.dtype != torch.float32)

    def step(self):
        if self.mode == 'infer':
            with torch.inference_mode(), self.autocast():
                self.fn(self.x)
        else:
            with self.autocast():
                loss = torch.nn.functional.cross_entropy(
                    self.fn(self.x).float(), self.y)
            loss.backward()
            self.opt.step()
            self.opt.zero_grad(set_to_none=True)
        if self.device.type == 'cuda':
            torch.cuda.synchronize()

    def timed_step(self):
        """Run one step; return its wall time in seconds."""
        start = time.perf_counter()
        self.step()
        return time.perf_counter() - start


class OnnxStepTimer:
    """A model's inference step in onnxruntime (CPU): the model exported as
    :func:`mmtnt.apis.export_onnx` does (dynamo, without autograd), at a fixed
    batch and size, run by a session with all graph optimisations and
    ``threads`` intra-op threads.

    Args:
        model (nn.Module): Image batch -> logits.
        path (str): Where the .onnx file is written.
        batch_size (int): Images per step. Defaults to 16.
        img_size (int): Square input size. Defaults to 224.
        threads (int): onnxruntime's intra-op threads. Defaults to 1.
        opset (int): ONNX opset. Defaults to 20.
    """

    def __init__(self,
                 model,
                 path,
                 batch_size=16,
                 img_size=224,
                 threads=1,
                 opset=20):
        import onnxruntime as ort
        x = torch.randn(batch_size, 3, img_size, img_size)
        with torch.no_grad():
            torch.onnx.export(
                model.eval(), (x, ),
                path,
                dynamo=True,
                external_data=False,
                opset_version=opset,
                verbose=False)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.graph_optimization_level = (
            ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
        self.session = ort.InferenceSession(
            path, options, providers=['CPUExecutionProvider'])
        self.feed = {self.session.get_inputs()[0].name: x.numpy()}

    def step(self):
        self.session.run(None, self.feed)

    def timed_step(self):
        """Run one step; return its wall time in seconds."""
        start = time.perf_counter()
        self.step()
        return time.perf_counter() - start
