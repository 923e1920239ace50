"""Broken data and non-finite losses: the verify tool finds every case in one
pass; training stops with one line naming the file or iteration, or skips and
counts on request."""
import json
import os
import os.path as osp
import shutil

import pytest
import skimage.data
from PIL import Image

from tests.helpers import (DIGITS_CONFIG, FASTER_RCNN_CONFIG, digits_options,
                           run_tool, small_detection_config)

pytestmark = pytest.mark.slow  # end-to-end runs of the tools

CASES = {  # file name -> what the verify tool says
    'truncated.jpg': 'ERROR train {}: truncated JPEG',
    'notes.jpg': 'ERROR train {}: not a readable image',
    'cmyk.jpg': 'NOTE train {}: CMYK JPEG: converted to RGB',
    'gray.png': 'NOTE train {}: grayscale (L)',
}


@pytest.fixture(scope='module')
def bad_digits(digits_root, tmp_path_factory):
    """The digits in their layout, plus one of each bad case among 60 good
    training images.
    """
    root = str(tmp_path_factory.mktemp('bad_digits'))
    for sub in ('meta', 'val'):
        shutil.copytree(osp.join(digits_root, sub), osp.join(root, sub))
    with open(osp.join(digits_root, 'meta', 'train.txt')) as f:
        good = f.readlines()[:60]
    for line in good:
        rel = line.split()[0]
        os.makedirs(osp.join(root, 'train', osp.dirname(rel)), exist_ok=True)
        shutil.copy(
            osp.join(digits_root, 'train', rel), osp.join(root, 'train', rel))
    photo = Image.fromarray(skimage.data.coffee()).resize((16, 16))
    folder = osp.join(root, 'train', 'zero')
    photo.save(osp.join(folder, 'full.jpg'), quality=95)
    data = open(osp.join(folder, 'full.jpg'), 'rb').read()
    open(osp.join(folder, 'truncated.jpg'), 'wb').write(data[:len(data) // 2])
    os.remove(osp.join(folder, 'full.jpg'))
    open(osp.join(folder, 'notes.jpg'), 'w').write('not an image\n')
    photo.convert('CMYK').save(osp.join(folder, 'cmyk.jpg'))
    photo.convert('L').save(osp.join(folder, 'gray.png'))
    lines = good + [f'zero/{name} 0\n'
                    for name in CASES] + [good[0].split()[0] + ' 12\n']
    with open(osp.join(root, 'meta', 'train.txt'), 'w') as f:
        f.writelines(lines)
    return root


def run(args, in_process=True):
    return run_tool(args, check=False, in_process=in_process)


def test_verify_tool_finds_every_case_in_one_pass(bad_digits):
    proc = run([
        'tools/misc/verify_dataset.py', DIGITS_CONFIG, '--cfg-options',
        f'train_dataloader.dataset.data_root={bad_digits}',
        f'val_dataloader.dataset.data_root={bad_digits}',
        f'test_dataloader.dataset.data_root={bad_digits}'
    ])
    assert proc.returncode == 1
    folder = osp.join(bad_digits, 'train', 'zero')
    for name, message in CASES.items():
        assert message.format(osp.join(
            folder, name)) in proc.stdout, (name, proc.stdout[-3000:])
    assert 'class label 12 is outside 0..9' in proc.stdout
    assert '3 broken, 2 notes' in proc.stdout


def test_verify_tool_finds_a_coco_box_outside_its_image(coco_photos, tmp_path):
    root = str(tmp_path / 'coco')
    shutil.copytree(coco_photos, root)
    ann_path = osp.join(root, 'annotations', 'instances_train2017.json')
    coco = json.load(open(ann_path))
    image = next(i for i in coco['images']
                 if i['id'] == coco['annotations'][0]['image_id'])
    coco['annotations'][0]['bbox'] = [image['width'] - 10, 5.0, 40.0, 20.0]
    json.dump(coco, open(ann_path, 'w'))
    cfg = small_detection_config(tmp_path, FASTER_RCNN_CONFIG, root)
    proc = run(['tools/misc/verify_dataset.py', cfg])
    assert proc.returncode == 1
    assert (f'reaches outside the {image["width"]}x{image["height"]} image'
            in proc.stdout)
    assert image['file_name'] in proc.stdout


def train_bad_digits(bad_digits, tmp_path, *extra):
    opts = digits_options(
        bad_digits,
        max_epochs=1,
        **{
            'train_dataloader.num_workers': 2,
            'train_dataloader.persistent_workers': True,
            'train_dataloader.batch_size': 16,
            'val_dataloader.dataset.indices': 64
        })
    # In a subprocess: the dataloader workers' messages go to its stdout.
    return run(
        ['tools/train.py', DIGITS_CONFIG, '--work-dir',
         str(tmp_path)] + opts + list(extra),
        in_process=False)


def test_training_names_the_broken_file_in_one_line(bad_digits, tmp_path):
    proc = train_bad_digits(bad_digits, tmp_path)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(
        'error: CustomDataset sample ') and 'verify_dataset.py' in last, last
    assert any(
        name in last
        for name in ('truncated.jpg', 'notes.jpg')) or 'label 12' in last


def test_training_skips_and_counts_broken_samples_on_request(
        bad_digits, tmp_path):
    proc = train_bad_digits(bad_digits, tmp_path,
                            'default_hooks.broken_data.skip=True')
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert 'truncated.jpg): truncated JPEG' in log and 'notes.jpg): ' in log
    assert 'class label 12 is outside 0..9' in log
    assert 'skipped in this process' in log
    assert 'training finished at epoch 1' in log


def test_non_finite_loss_stops_before_the_weights_change(
        digits_root, tmp_path):
    work = str(tmp_path)
    opts = digits_options(
        digits_root,
        max_epochs=1,
        **{
            'train_dataloader.dataset.indices': 128,
            'val_dataloader.dataset.indices': 64
        })
    assert run(['tools/train.py', DIGITS_CONFIG, '--work-dir', work] +
               opts).returncode == 0
    saved = open(osp.join(work, 'epoch_1.pth'), 'rb').read()
    nan = ['train_cfg.max_epochs=2', 'model.head.loss.loss_weight=nan']
    proc = run(
        ['tools/train.py', DIGITS_CONFIG, '--work-dir', work, '--resume'] +
        opts + nan)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(
        'error: iteration 3: the loss is not finite (loss=nan')
    assert open(osp.join(work, 'epoch_1.pth'), 'rb').read() == saved
    assert not osp.exists(osp.join(work, 'epoch_2.pth'))
    proc = run(
        ['tools/train.py', DIGITS_CONFIG, '--work-dir', work, '--resume'] +
        opts + nan + ['optim_wrapper.on_nonfinite_loss=skip'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    log = proc.stdout + proc.stderr
    assert 'iteration 4: skipped a step with a non-finite loss' in log
    assert '2 skipped so far' in log
