"""Fixtures shared by the test folders; helpers are in tests/helpers."""
import os

import pytest
import torch

from tests.helpers import (DIGITS_CONFIG, digits_options, make_demo, photos,
                           run_tool, write_tiny_imagenet)

if os.environ.get('PYTEST_XDIST_WORKER') or 'MUTANT_UNDER_TEST' in os.environ:
    # One worker per core (make test, or mutmut's children in make mutation):
    # each worker, and every tool it starts, computes on one thread, so that
    # the workers do not oversubscribe.
    os.environ['OMP_NUM_THREADS'] = '1'
    torch.set_num_threads(1)
else:
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'slow: end-to-end runs of the tools in subprocesses '
        '(deselect with -m "not slow")')


@pytest.fixture(scope='session')
def images():
    """Three real photographs, (3, 3, 224, 224) in [-1, 1]."""
    return photos(224)


@pytest.fixture(scope='session')
def digits_root(tmp_path_factory):
    """scikit-learn's digits in ImageNet's layout (the main job's data)."""
    root = tmp_path_factory.mktemp('digits')
    run_tool(['tools/dataset_converters/digits_to_imagenet.py', str(root)])
    return str(root)


@pytest.fixture(scope='session')
def tiny_imagenet(tmp_path_factory):
    """Six real photographs of two classes in ImageNet's layout."""
    return write_tiny_imagenet(str(tmp_path_factory.mktemp('imagenet')))


@pytest.fixture(scope='session')
def digits_trained(digits_root, tmp_path_factory):
    """The main job (configs/tnt/tnt-mini-p8_1xb64-100e_digits.py) trained for
    2 epochs: (work dir, completed tools/train.py process), shared by the tests
    that need a trained model."""
    work = str(tmp_path_factory.mktemp('train'))
    proc = run_tool(['tools/train.py', DIGITS_CONFIG, '--work-dir', work] +
                    digits_options(digits_root, max_epochs=2))
    return work, proc


@pytest.fixture(scope='session')
def coco_photos(tmp_path_factory):
    """COCO-format detection data made from real photographs (4 train, 4 val
    images); tests that change it work on a copy."""
    return make_demo('coco', tmp_path_factory.mktemp('coco'), '--train', 4,
                     '--val', 4, '--seed', 1)


@pytest.fixture(scope='session')
def ade_photos(tmp_path_factory):
    """ADE20K-format segmentation data made from real photographs (4 train, 2
    val images)."""
    root = tmp_path_factory.mktemp('ade') / 'ADEChallengeData2016'
    return make_demo('ade20k', root, '--train', 4, '--val', 2, '--seed', 1)


@pytest.fixture
def served(tmp_path, monkeypatch):
    """A local HTTP server on 127.0.0.1 serving tmp_path/'www'; torch's hub
    cache in tmp_path.
    """
    import functools
    import http.server
    import threading
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    root = tmp_path / 'www'
    root.mkdir()
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f'http://127.0.0.1:{server.server_address[1]}/'
    server.shutdown()
    server.server_close()
