import os.path as osp

import numpy as np
import torch
from conftest import ROOT
from mmengine.config import Config

from mmtnt.apis import get_model, inference_model

CONFIG = osp.join(ROOT, 'configs/tnt/tnt-mini-p8_1xb64-100e_digits.py')


def test_get_model_and_inference_on_a_photograph(tmp_path):
    import skimage.data
    from PIL import Image
    torch.manual_seed(0)
    model = get_model(CONFIG)
    ckpt = str(tmp_path / 'digits.pth')
    classes = Config.fromfile(CONFIG).classes
    torch.save({'state_dict': model.state_dict(),
                'meta': {'dataset_meta': {'classes': list(classes)}}}, ckpt)
    model = get_model(CONFIG, ckpt)
    photo = str(tmp_path / 'coffee.png')
    Image.fromarray(skimage.data.coffee()).resize((16, 16)).save(photo)
    result = inference_model(model, photo, topk=3)
    assert result['pred_class'] in classes
    names = [name for name, _ in result['topk']]
    scores = [score for _, score in result['topk']]
    assert len(names) == 3 and names[0] == result['pred_class']
    assert scores == sorted(scores, reverse=True) and 0 < sum(scores) <= 1 + 1e-6
    # Arrays and lists work too, and the answer depends on the image.
    arrays = [np.asarray(Image.open(photo))[..., ::-1].copy(), np.zeros((16, 16, 3), np.uint8)]
    results = inference_model(model, arrays)
    assert len(results) == 2
    assert not np.allclose(results[0]['pred_scores'], results[1]['pred_scores'])


def test_infer_tool_writes_the_labelled_picture(tmp_path):
    import skimage.data
    from conftest import run_tool
    from PIL import Image
    torch.manual_seed(0)
    classes = Config.fromfile(CONFIG).classes
    ckpt = str(tmp_path / 'digits.pth')
    torch.save({'state_dict': get_model(CONFIG).state_dict(),
                'meta': {'dataset_meta': {'classes': list(classes)}}}, ckpt)
    photo = str(tmp_path / 'camera.png')
    Image.fromarray(skimage.data.camera()).convert('RGB').resize((16, 16)).save(photo)
    out_dir = str(tmp_path / 'out' / 'nested')  # parents are created
    proc = run_tool(['tools/infer.py', CONFIG, ckpt, photo, '--out-dir', out_dir])
    predicted = proc.stdout.split(photo + ': ')[1].split()[0]  # after mmengine's progress bar
    assert predicted in classes
    drawn = Image.open(osp.join(out_dir, 'vis', 'camera.png'))
    original = np.asarray(Image.open(photo).convert('RGB'))
    assert not np.array_equal(np.asarray(drawn.convert('RGB').resize((16, 16))), original)
