"""Checkpoints are written atomically and read back with torch >= 2.6."""
import os

import pytest
import torch
from mmengine.fileio import get_file_backend

import mmtnt  # noqa: F401  (installs the backend)
from mmtnt.fileio import AtomicLocalBackend


def test_local_backend_is_atomic(tmp_path, monkeypatch):
    backend = get_file_backend(str(tmp_path / 'x.pth'))
    assert isinstance(backend, AtomicLocalBackend)
    target = tmp_path / 'epoch_1.pth'
    backend.put(b'complete checkpoint', str(target))

    def killed(fd):  # the job dies after writing part of the new file
        raise KeyboardInterrupt

    monkeypatch.setattr('mmtnt.fileio.os.fsync', killed)
    with pytest.raises(KeyboardInterrupt):
        backend.put(b'partial', str(target))
    monkeypatch.undo()
    assert target.read_bytes() == b'complete checkpoint'
    assert os.listdir(tmp_path) == ['epoch_1.pth']  # no temporary file left
    backend.put_text('epoch_1.pth', str(tmp_path / 'last_checkpoint'))
    assert (tmp_path / 'last_checkpoint').read_text() == 'epoch_1.pth'


def test_mmengine_checkpoint_with_message_hub_loads(tmp_path):
    import numpy as np
    from mmengine.logging import HistoryBuffer
    from mmengine.runner.checkpoint import _load_checkpoint
    path = str(tmp_path / 'ckpt.pth')
    torch.save({'state_dict': {'w': torch.ones(1)},
                'message_hub': {'log_scalars': {'loss': HistoryBuffer([np.float64(1.0)], [1])}}},
               path)
    assert _load_checkpoint(path, map_location='cpu')['state_dict']['w'].item() == 1.0
    with pytest.raises(FileNotFoundError, match='can not be found'):
        _load_checkpoint(str(tmp_path / 'missing.pth'))
