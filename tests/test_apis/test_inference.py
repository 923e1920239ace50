import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmtnt.apis import get_inferencer, get_model, inference_model
from tests.helpers import ROOT

CONFIG = osp.join(ROOT, 'configs/tnt/tnt-mini-p8_1xb64-100e_digits.py')


def test_get_model_and_inference_on_a_photograph(tmp_path):
    import skimage.data
    from PIL import Image
    torch.manual_seed(0)
    model = get_model(CONFIG)
    ckpt = str(tmp_path / 'digits.pth')
    classes = Config.fromfile(CONFIG).classes
    torch.save(
        {
            'state_dict': model.state_dict(),
            'meta': {
                'dataset_meta': {
                    'classes': list(classes)
                }
            }
        }, ckpt)
    model = get_model(CONFIG, ckpt)
    photo = str(tmp_path / 'coffee.png')
    Image.fromarray(skimage.data.coffee()).resize((16, 16)).save(photo)
    result = inference_model(model, photo, topk=3)
    assert result['pred_class'] in classes
    names = [name for name, _ in result['topk']]
    scores = [score for _, score in result['topk']]
    assert len(names) == 3 and names[0] == result['pred_class']
    assert scores == sorted(
        scores, reverse=True) and 0 < sum(scores) <= 1 + 1e-6
    # Arrays and lists work too, and the answer depends on the image.
    arrays = [
        np.asarray(Image.open(photo))[..., ::-1].copy(),
        np.zeros((16, 16, 3), np.uint8)
    ]
    results = inference_model(model, arrays)
    assert len(results) == 2
    assert not np.allclose(results[0]['pred_scores'],
                           results[1]['pred_scores'])


@pytest.mark.slow
def test_infer_tool_writes_the_labelled_picture(tmp_path):
    import skimage.data
    from PIL import Image

    from tests.helpers import run_tool
    torch.manual_seed(0)
    classes = Config.fromfile(CONFIG).classes
    ckpt = str(tmp_path / 'digits.pth')
    torch.save(
        {
            'state_dict': get_model(CONFIG).state_dict(),
            'meta': {
                'dataset_meta': {
                    'classes': list(classes)
                }
            }
        }, ckpt)
    photo = str(tmp_path / 'camera.png')
    Image.fromarray(skimage.data.camera()).convert('RGB').resize(
        (16, 16)).save(photo)
    out_dir = str(tmp_path / 'out' / 'nested')  # parents are created
    proc = run_tool(
        ['tools/infer.py', CONFIG, ckpt, photo, '--out-dir', out_dir])
    predicted = proc.stdout.split(photo + ': ')[1].split()[
        0]  # after mmengine's progress bar
    assert predicted in classes
    drawn = Image.open(osp.join(out_dir, 'vis', 'camera.png'))
    original = np.asarray(Image.open(photo).convert('RGB'))
    assert not np.array_equal(
        np.asarray(drawn.convert('RGB').resize((16, 16))), original)


def test_get_model_by_name_downloads_and_converts_the_official_release(
        served, images):
    from tests.helpers.reference_checkpoints import (official_state_dict,
                                                     timm_model)
    root, url = served
    timm_tnt = timm_model()
    torch.save(official_state_dict(timm_tnt), root / 'tnt_s_81.5.pth.tar')
    mirror = (r'^https://github.com/huawei-noah/Efficient-AI-Backbones/'
              r'releases/download/tnt/', url)
    model = get_model(
        'tnt-s-p16_official_in1k', pretrained=True, url_mapping=mirror)
    with torch.no_grad():
        torch.testing.assert_close(
            model(images, mode='tensor'),
            timm_tnt(images),
            atol=1e-4,
            rtol=1e-4)
    assert len(model.dataset_meta['classes']) == 1000
    (root /
     'tnt_s_81.5.pth.tar').unlink()  # the second call reads torch's hub cache
    again = get_model(
        'tnt-s-p16_official_in1k', pretrained=True, url_mapping=mirror)
    torch.testing.assert_close(again.state_dict(), model.state_dict())


def test_download_without_network_says_what_to_do(served):
    from mmtnt.checkpoint import CheckpointDownloadError
    _, url = served
    closed = url.rsplit(':', 1)[0] + ':9/'  # the discard port: nothing listens
    with pytest.raises(
            CheckpointDownloadError, match='pass the local file instead'):
        get_model('tnt-ti-p16_in1k', pretrained=closed + 'tnt_ti.pth')
    with pytest.raises(ValueError, match='has no released weights'):
        get_model('tnt-ti-p16_in1k', pretrained=True)


@pytest.mark.slow
def test_inferencer_per_task_from_a_name(tmp_path):
    import skimage.data
    from PIL import Image
    photo = str(tmp_path / 'coffee.jpg')
    Image.fromarray(skimage.data.coffee()).save(photo)  # 400 x 600
    detector = get_inferencer(
        'faster-rcnn_tnt-s_fpn_1x_coco',
        backbone=dict(init_cfg=None, arch='ti'),
        neck=[
            dict(type='mmtnt.TNTFeaturePyramid', in_channels=192),
            dict(
                type='FPN',
                in_channels=[192] * 4,
                out_channels=256,
                num_outs=5)
        ])
    assert type(detector).__name__ == 'DetInferencer'
    boxes = detector(photo)['predictions'][0]['bboxes']
    assert all(0 <= x <= 600 and 0 <= y <= 400 for x, y, *_ in boxes)
    segmentor = get_inferencer(
        'trans2seg_tnt-s_8xb2-40k_ade20k-512x512',
        backbone=dict(init_cfg=None))
    assert type(segmentor).__name__ == 'MMSegInferencer'
    pred = segmentor(photo)['predictions']
    assert pred.shape == (400, 600)
