"""The ``compile`` config option on the classification, detection and
segmentation configs: tools/train.py compiles the model's forward with
torch.compile (mmtnt.runs.launch.compile_model), and the compiled model
computes the losses of the eager one.

The ``aot_eager`` backend traces with dynamo and AOT autograd as inductor does
(the fused inner transformer enters the graph as one custom op with its fake
and autograd rule) but skips code generation, which takes minutes per model on
this CPU; inductor figures are in docs/benchmark.md.
"""
import math

import pytest

from tests.helpers import (FASTER_RCNN_CONFIG, ROOT, run_tool, scalars,
                           small_detection_config, small_segmentation_config,
                           write_tiny_imagenet)

pytestmark = pytest.mark.slow  # end-to-end runs of the tools

COMPILE = "\ncompile = dict(backend='aot_eager')\n"
NO_VAL = '\ntrain_cfg.update(val_interval=1000)\n'  # training only


def imagenet_config(tmp_path, root, extra):
    path = tmp_path / 'small_tnt-s_in1k.py'
    path.write_text(f'''
_base_ = ['{ROOT}/configs/tnt/tnt-s_16xb64_in1k.py']
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root={root!r}))
val_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                      dataset=dict(data_root={root!r}))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1, val_interval=2)
default_hooks = dict(logger=dict(interval=1))
randomness = dict(seed=0)
''' + extra)
    return str(path)


def losses(work_dir):
    values = [r['loss'] for r in scalars(work_dir) if 'loss' in r]
    assert values and all(math.isfinite(v) for v in values), values
    return values


@pytest.mark.parametrize('task',
                         ['classification', 'detection', 'segmentation'])
def test_compile_option_trains_with_the_eager_losses(task, tmp_path,
                                                     coco_photos, ade_photos):
    runs = {}
    if task == 'classification':
        root = write_tiny_imagenet(str(tmp_path / 'imagenet'))
    for name, extra in (('eager', ''), ('compiled', COMPILE)):
        where = tmp_path / name
        where.mkdir()
        if task == 'classification':
            cfg = imagenet_config(where, root, extra)
        elif task == 'detection':
            cfg = small_detection_config(
                where,
                FASTER_RCNN_CONFIG,
                coco_photos,
                max_epochs=1,
                extra=extra)
        else:
            cfg = small_segmentation_config(
                where, ade_photos, max_iters=2, extra=NO_VAL + extra)
        work_dir = str(where / 'work')
        proc = run_tool(['tools/train.py', cfg, '--work-dir', work_dir])
        runs[name] = (losses(work_dir), proc.stdout + proc.stderr)
    assert "compiled the model's forward" in runs['compiled'][1]
    assert "compiled the model's forward" not in runs['eager'][1]
    eager, compiled = runs['eager'][0], runs['compiled'][0]
    assert len(eager) == len(compiled) >= 2
    # The same weights and images: the same loss. After an optimizer step the
    # weights differ by float rounding, which the detector's discrete
    # proposal sampling can amplify a little.
    assert math.isclose(eager[0], compiled[0], rel_tol=1e-4), (eager, compiled)
    for e, c in zip(eager[1:], compiled[1:]):
        assert math.isclose(e, c, rel_tol=0.01), (eager, compiled)
