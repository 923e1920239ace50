"""A dataset on another mmengine storage backend (a test backend that serves
files from memory under ``memtest://``) trains, and the data checks and the
verify tool read through the backend: they find a truncated file in it."""
import os
import os.path as osp

import pytest
from mmengine.fileio import BaseStorageBackend, register_backend

from mmtnt.datasets.sample_checks import check_image_file
from tests.helpers import DIGITS_CONFIG, digits_options, run_tool

pytestmark = pytest.mark.slow  # end-to-end runs of the tools


class MemoryBackend(BaseStorageBackend):
    """Files in a dict, keyed by ``memtest://...`` paths."""

    files = {}

    def get(self, filepath):
        try:
            return self.files[str(filepath)]
        except KeyError:
            raise FileNotFoundError(filepath) from None

    def get_text(self, filepath, encoding='utf-8'):
        return self.get(filepath).decode(encoding)

    def isfile(self, filepath):
        return str(filepath) in self.files

    def isdir(self, filepath):
        prefix = str(filepath).rstrip('/') + '/'
        return any(k.startswith(prefix) for k in self.files)

    def exists(self, filepath):
        return self.isfile(filepath) or self.isdir(filepath)

    def join_path(self, filepath, *filepaths):
        return '/'.join([str(filepath).rstrip('/')] +
                        [str(p).strip('/') for p in filepaths])


register_backend('mmtnt_test_memory', MemoryBackend, prefixes='memtest')


@pytest.fixture(scope='module')
def memory_digits(digits_root):
    """The digits, every file served from memory as memtest://digits/...; a
    local folder of that name does not exist."""
    for folder, _, names in os.walk(digits_root):
        for name in names:
            path = osp.join(folder, name)
            key = 'memtest://digits/' + osp.relpath(path, digits_root)
            with open(path, 'rb') as f:
                MemoryBackend.files[key] = f.read()
    yield 'memtest://digits'
    MemoryBackend.files.clear()


def small(root, **extra):
    return digits_options(
        root,
        max_epochs=1,
        **{
            'train_dataloader.dataset.indices': 128,
            'val_dataloader.dataset.indices': 64,
            **extra
        })


def test_a_dataset_on_another_backend_trains(memory_digits, tmp_path):
    proc = run_tool(
        ['tools/train.py', DIGITS_CONFIG, '--work-dir',
         str(tmp_path)] + small(memory_digits))
    assert 'training finished at epoch 1' in proc.stdout
    assert 'accuracy/top1' in proc.stdout + proc.stderr


def test_checks_find_a_truncated_file_on_the_backend(memory_digits, tmp_path):
    train = sorted(k for k in MemoryBackend.files if '/train/' in k)
    broken = train[0]
    whole = MemoryBackend.files[broken]
    MemoryBackend.files[broken] = whole[:len(whole) // 2]
    try:
        assert check_image_file(
            broken, decode=False) == (['truncated PNG (no IEND chunk)'], [])
        verify = run_tool(
            ['tools/misc/verify_dataset.py', DIGITS_CONFIG] +
            small(memory_digits)[:4],  # --cfg-options and the data roots
            check=False)
        assert f'ERROR train {broken}: truncated PNG' in verify.stdout
        train_run = run_tool(
            ['tools/train.py', DIGITS_CONFIG, '--work-dir',
             str(tmp_path)] + small(memory_digits),
            check=False)
        assert train_run.returncode == 1
        last = train_run.stderr.strip().splitlines()[-1]
        assert broken in last and 'truncated PNG' in last, last
    finally:
        MemoryBackend.files[broken] = whole
