"""What the tests share: paths, running a tool, real photographs, small
configs and made datasets. Fixtures that use these are in tests/conftest.py.
"""
import contextlib
import glob
import io
import json
import os
import os.path as osp
import runpy
import subprocess
import sys
import traceback
import warnings

import numpy as np
import skimage.data
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope
from mmengine.utils import ManagerMixin
from PIL import Image

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def photos(size=224):
    """Real photographs from scikit-image, (N, 3, size, size) in [-1, 1]
    (mean = std = 0.5)."""
    out = []
    size_hw = (size, size) if isinstance(size, int) else size
    for name in ('astronaut', 'coffee', 'chelsea'):
        img = Image.fromarray(getattr(skimage.data, name)()).convert('RGB')
        img = img.resize((size_hw[1], size_hw[0]), Image.BICUBIC)
        out.append(np.asarray(img, dtype=np.float32).transpose(2, 0, 1))
    return (torch.from_numpy(np.stack(out)) / 127.5) - 1.0


def build_classifier(config, init=False, **backbone):
    """The model of ``config`` (a path, relative to configs/tnt or absolute),
    built in the config's scope, in eval mode; ``backbone`` overrides."""
    path = config if osp.isabs(config) else osp.join(ROOT, 'configs/tnt',
                                                     config)
    cfg = Config.fromfile(path)
    cfg.model.backbone.update(backbone)
    cfg.model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    if init:
        model.init_weights()
    return model.eval()


def run_tool(args,
             cwd=ROOT,
             env=None,
             timeout=900,
             check=True,
             in_process=None):
    """Run a tools/ script (or ``-m module``) as a user would; return the
    completed process, checked unless ``check=False``.

    A script under tools/ runs in this process (:func:`run_in_process`;
    ``timeout`` does not apply) unless ``in_process=False``; ``-m`` modules and
    other programs run in a subprocess with this interpreter.
    """
    if in_process is None:
        in_process = str(args[0]).startswith('tools/')
    if in_process:
        proc = run_in_process(args, cwd=cwd, env=env)
    else:
        full_env = dict(os.environ, PYTHONPATH=ROOT, **(env or {}))
        proc = subprocess.run(
            [sys.executable] + list(args),
            cwd=cwd,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(
            f'{args} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n'
            f'{proc.stderr[-5000:]}')
    return proc


def _manager_classes(cls=ManagerMixin):
    """``cls`` and its subclasses: the mmengine classes that keep global
    instances (loggers, message hubs, visualizers, default scopes)."""
    yield cls
    for sub in cls.__subclasses__():
        yield from _manager_classes(sub)


def run_in_process(args, cwd=ROOT, env=None):
    """Run the script ``args[0]`` (relative to ``cwd``) with ``args[1:]`` as
    ``__main__`` in this process, as ``python SCRIPT ARGS`` would.

    Returns a ``subprocess.CompletedProcess`` with what the script printed
    (warnings included) and its exit status: ``SystemExit`` gives its code
    (a message is printed to stderr, status 1), an exception its traceback
    and 1. What a process would lose at exit is undone: environment, working
    directory, ``sys.argv``/``sys.path``, torch's thread count, mmengine's
    global instances (the run's logger, message hub, visualizer and default
    scope; log files are closed) and the process group.
    """
    script = osp.join(cwd, str(args[0]))
    argv = [script] + [str(a) for a in args[1:]]
    out, err = io.StringIO(), io.StringIO()
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    saved_argv, saved_path = sys.argv, list(sys.path)
    saved_threads = torch.get_num_threads()
    # A fresh process has none of mmengine's named instances: set this
    # process's aside (a visualizer named 'visualizer' would otherwise be
    # reused with its old save dir) and bring them back afterwards.
    stashed = {}
    for cls in _manager_classes():
        if '_instance_dict' in vars(cls) and cls not in stashed:
            stashed[cls] = dict(cls._instance_dict)
            cls._instance_dict.clear()
    returncode = 0

    def show(message, category, filename, lineno, file=None, line=None):
        err.write(
            warnings.formatwarning(message, category, filename, lineno, line))

    try:
        os.environ.update({'PYTHONPATH': ROOT, **(env or {})})
        os.chdir(cwd)
        sys.argv = argv
        sys.path.insert(0, osp.dirname(script))
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(
                err), warnings.catch_warnings():
            warnings.simplefilter('default')
            warnings.showwarning = show
            try:
                runpy.run_path(script, run_name='__main__')
            except SystemExit as exit_:
                if exit_.code is None or isinstance(exit_.code, int):
                    returncode = exit_.code or 0
                else:
                    print(exit_.code, file=sys.stderr)
                    returncode = 1
            except Exception:  # noqa: BLE001 (what the interpreter prints)
                traceback.print_exc()
                returncode = 1
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)
        sys.argv, sys.path[:] = saved_argv, saved_path
        torch.set_num_threads(saved_threads)
        for cls, instances in stashed.items():
            for instance in cls._instance_dict.values():
                for handler in getattr(instance, 'handlers', [])[:]:
                    handler.close()
                    instance.removeHandler(handler)
            cls._instance_dict.clear()
            cls._instance_dict.update(instances)
        if torch.distributed.is_available(
        ) and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()
    return subprocess.CompletedProcess(argv, returncode, out.getvalue(),
                                       err.getvalue())


def make_demo(kind, root, *args):
    """Write a dataset made from real photographs with
    ``tools/misc/make_demo_{kind}.py`` (coco, ade20k or transfer_sets)."""
    run_tool([f'tools/misc/make_demo_{kind}.py',
              str(root)] + [str(a) for a in args])
    return str(root)


DIGITS_CONFIG = 'configs/tnt/tnt-mini-p8_1xb64-100e_digits.py'


def digits_options(root, max_epochs=2, **extra):
    """--cfg-options that point the digits config at ``root`` and keep it small
    and serial.
    """
    opts = {
        'train_dataloader.dataset.data_root': root,
        'val_dataloader.dataset.data_root': root,
        'test_dataloader.dataset.data_root': root,
        'train_dataloader.num_workers': 0,
        'val_dataloader.num_workers': 0,
        'test_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'val_dataloader.persistent_workers': False,
        'test_dataloader.persistent_workers': False,
        'train_cfg.max_epochs': max_epochs,
        'train_cfg.val_interval': 1,
        'default_hooks.checkpoint.interval': 1,
        'default_hooks.checkpoint.max_keep_ckpts': 3,
        'default_hooks.logger.interval': 5,
        'custom_hooks':
        '[]',  # no EMA: a 2-epoch average would still be mostly the init
    }
    opts.update(extra)
    return ['--cfg-options'] + [f'{k}={v}' for k, v in opts.items()]


def scalars(work_dir):
    """The json lines mmengine's LocalVisBackend wrote (train and val records).
    """
    files = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    assert files, f'no scalars.json under {work_dir}'
    records = []
    for path in files:
        with open(path) as f:
            records += [json.loads(line) for line in f if line.strip()]
    return records


DETR_CONFIG = 'configs/detr/detr_tnt-s_8xb2-50e_coco.py'
FASTER_RCNN_CONFIG = 'configs/faster_rcnn/faster-rcnn_tnt-s_fpn_1x_coco.py'


def detection_data(data_root, max_epochs=3, scale=(448, 288), with_mask=False):
    """The lines of a detection config a user changes for a small run: this
    data root, smaller images, a fixed pipeline (so that losses of the same
    images can be compared across epochs), serial loading, a short schedule."""
    data_root = data_root.rstrip('/') + '/'
    return f'''
data_root = {data_root!r}
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask={with_mask}),
    dict(type='Resize', scale={scale!r}, keep_ratio=True),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale={scale!r}, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask={with_mask}),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor')),
]
train_dataloader = dict(num_workers=0, persistent_workers=False,
                        sampler=dict(type='DefaultSampler', shuffle=False),
                        dataset=dict(data_root=data_root,
                                     pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root,
                                   pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val2017.json')
test_evaluator = val_evaluator
train_cfg = dict(max_epochs={max_epochs}, val_interval={max_epochs})
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval={max_epochs}))
randomness = dict(seed=0)
'''


def small_detection_config(tmp_path,
                           base,
                           data_root,
                           max_epochs=3,
                           scale=(448, 288),
                           extra='',
                           with_mask=False):
    """A child of a real detection config, as a user would write one, with
    :func:`detection_data` and no ImageNet download."""
    text = (f"_base_ = [{osp.join(ROOT, base)!r}]\n"
            'model = dict(backbone=dict(init_cfg=None))\n' +
            detection_data(data_root, max_epochs, scale, with_mask) +
            'param_scheduler = []\n' + extra)
    path = tmp_path / f'small_{osp.basename(base)}'
    path.write_text(text)
    return str(path)


TRANS2SEG_CONFIG = ('configs/trans2seg/'
                    'trans2seg_tnt-s_8xb2-40k_ade20k-512x512.py')


def small_segmentation_config(tmp_path,
                              data_root,
                              max_iters=6,
                              crop=256,
                              extra='',
                              base=TRANS2SEG_CONFIG):
    """A child of a segmentation config (Trans2Seg's by default): this data
    root, 256x256 crops (slide test with the same window), a fixed pipeline and
    order (so losses of the same images can be compared) and no ImageNet
    download."""
    text = f'''
_base_ = [{osp.join(ROOT, base)!r}]
data_root = {data_root!r}
crop_size = ({crop}, {crop})
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(init_cfg=None),
    test_cfg=dict(mode='slide', crop_size=crop_size,
                  stride=({crop * 2 // 3}, {crop * 2 // 3})))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='mmtnt.CheckSegLabel', num_classes=150),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1024, {crop}), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='mmtnt.CheckSegLabel', num_classes=150),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(num_workers=0, persistent_workers=False,
                        sampler=dict(type='InfiniteSampler', shuffle=False),
                        dataset=dict(data_root=data_root,
                                     pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root,
                                   pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_iters={max_iters}, val_interval={max_iters})
param_scheduler = []
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval={max_iters}))
randomness = dict(seed=0)
''' + extra
    path = tmp_path / f'small_{osp.basename(base)}'
    path.write_text(text)
    return str(path)


PHOTOS = ('astronaut', 'coffee', 'chelsea', 'rocket', 'camera', 'cat')


def write_photos(root, names=('astronaut', 'chelsea')):
    """scikit-image's photographs ``names`` as PNG files in ``root``; their
    paths."""
    paths = []
    for name in names:
        path = osp.join(str(root), f'{name}.png')
        Image.fromarray(getattr(skimage.data, name)()).save(path)
        paths.append(path)
    return paths


def write_tiny_imagenet(root):
    """Real photographs (of their own odd sizes) in ImageNet's layout:
    train/<wnid>/*.JPEG, val/*.JPEG, meta/{train,val}.txt; two classes."""
    train, val = [], []
    for i, name in enumerate(PHOTOS):
        img = Image.fromarray(getattr(skimage.data, name)()).convert('RGB')
        label = i % 2
        rel = f'n0144076{label}/{name}.JPEG'
        os.makedirs(osp.join(root, 'train', osp.dirname(rel)), exist_ok=True)
        img.save(osp.join(root, 'train', rel), quality=90)
        train.append(f'{rel} {label}')
        os.makedirs(osp.join(root, 'val'), exist_ok=True)
        img.save(
            osp.join(root, 'val', f'ILSVRC2012_val_{i:08d}.JPEG'), quality=90)
        val.append(f'ILSVRC2012_val_{i:08d}.JPEG {label}')
    os.makedirs(osp.join(root, 'meta'), exist_ok=True)
    for split, lines in (('train', train), ('val', val)):
        with open(osp.join(root, 'meta', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
    return root
