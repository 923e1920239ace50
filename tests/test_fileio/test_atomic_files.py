"""Checkpoints are written atomically (the mmtnt_atomic backend the configs
choose) and read without running code."""
import os

import pytest
import torch
from mmengine.fileio import LocalBackend, get_file_backend

import mmtnt  # noqa: F401  (registers the mmtnt_atomic backend)
from mmtnt.checkpoint import checkpoint_types_allowed
from mmtnt.fileio import AtomicLocalBackend


def test_atomic_backend_is_chosen_by_name_and_local_is_left_alone(tmp_path):
    assert type(get_file_backend(str(tmp_path / 'x.pth'))) is LocalBackend
    backend = get_file_backend(
        str(tmp_path / 'x.pth'), backend_args=dict(backend='mmtnt_atomic'))
    assert isinstance(backend, AtomicLocalBackend)


def test_atomic_write_killed_half_way_keeps_the_old_file(
        tmp_path, monkeypatch):
    backend = AtomicLocalBackend()
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


def test_mmengine_checkpoint_with_message_hub_loads_weights_only(tmp_path):
    import numpy as np
    from mmengine.logging import HistoryBuffer
    from mmengine.runner.checkpoint import _load_checkpoint
    path = str(tmp_path / 'ckpt.pth')
    buffer = HistoryBuffer([np.float64(1.0)], [1])
    buffer.statistics(
        'mean')  # pickles a reference to HistoryBuffer.mean, as training does
    torch.save(
        {
            'state_dict': {
                'w': torch.ones(1)
            },
            'message_hub': {
                'log_scalars': {
                    'loss': buffer
                }
            }
        }, path)
    with pytest.raises(Exception, match='Weights only load failed'):
        _load_checkpoint(
            path,
            map_location='cpu')  # mmengine's own reader, torch's defaults
    with checkpoint_types_allowed():
        loaded = _load_checkpoint(path, map_location='cpu')
    assert loaded['state_dict']['w'].item() == 1.0
    assert loaded['message_hub']['log_scalars']['loss'].mean() == 1.0
