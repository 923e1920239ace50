import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


def photos(size=224):
    """Real photographs from scikit-image, (N, 3, size, size) in [-1, 1] (mean = std = 0.5)."""
    import skimage.data
    from PIL import Image
    out = []
    for name in ('astronaut', 'coffee', 'chelsea'):
        img = Image.fromarray(getattr(skimage.data, name)()).convert('RGB')
        size_hw = (size, size) if isinstance(size, int) else size
        img = img.resize((size_hw[1], size_hw[0]), Image.BICUBIC)
        out.append(np.asarray(img, dtype=np.float32).transpose(2, 0, 1))
    return (torch.from_numpy(np.stack(out)) / 127.5) - 1.0


@pytest.fixture(scope='session')
def images():
    return photos(224)


def run_tool(args, cwd=ROOT, env=None, timeout=900):
    """Run a tools/ script with this interpreter; return the completed process (checked)."""
    full_env = dict(os.environ, PYTHONPATH=ROOT, **(env or {}))
    proc = subprocess.run([sys.executable] + args, cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f'{args} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n'
                             f'{proc.stderr[-5000:]}')
    return proc


@pytest.fixture(scope='session')
def digits_root(tmp_path_factory):
    from tools.dataset_converters.digits_to_imagenet import export
    root = tmp_path_factory.mktemp('digits')
    export(str(root))
    return str(root)


@pytest.fixture(scope='session')
def digits_trained(digits_root, tmp_path_factory):
    """The main job (configs/tnt/tnt-mini-p8_1xb64-100e_digits.py) trained for 2 epochs:
    (work dir, completed tools/train.py process), shared by the tests that need a trained model."""
    from test_tools.helpers import DIGITS_CONFIG, digits_options
    work = str(tmp_path_factory.mktemp('train'))
    proc = run_tool(['tools/train.py', DIGITS_CONFIG, '--work-dir', work] +
                    digits_options(digits_root, max_epochs=2))
    return work, proc
