"""Checkpoint file I/O: atomic local writes, and reads that work with torch >= 2.6.

mmengine's ``LocalBackend.put`` opens the target with 'wb' and writes into it, so a run killed
while saving leaves a truncated ``epoch_N.pth`` that ``--resume`` then fails on. This backend
writes to a temporary file in the same folder and renames it over the target (atomic on POSIX).
It replaces the ``local`` backend, so CheckpointHook and Runner.save_checkpoint use it unchanged.
"""
import os
import os.path as osp
import tempfile

import mmengine
from mmengine.fileio import LocalBackend, register_backend


class AtomicLocalBackend(LocalBackend):
    """:class:`mmengine.fileio.LocalBackend` whose ``put``/``put_text`` are all-or-nothing."""

    @staticmethod
    def _atomic_write(data, filepath, mode, encoding=None):
        filepath = str(filepath)
        folder = osp.dirname(osp.abspath(filepath))
        mmengine.mkdir_or_exist(folder)
        fd, tmp = tempfile.mkstemp(prefix='.' + osp.basename(filepath) + '.', dir=folder)
        try:
            with os.fdopen(fd, mode, encoding=encoding) as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, filepath)
        except BaseException:
            if osp.exists(tmp):
                os.remove(tmp)
            raise

    def put(self, obj, filepath):
        self._atomic_write(obj, filepath, 'wb')

    def put_text(self, obj, filepath, encoding='utf-8'):
        self._atomic_write(obj, filepath, 'w', encoding)


register_backend('local', AtomicLocalBackend, force=True, prefixes='')


def load_from_local(filename, map_location):
    """mmengine's local checkpoint reader with ``weights_only=False`` made explicit.

    torch >= 2.6 loads with ``weights_only=True`` by default, which refuses mmengine's own
    checkpoints (their message hub pickles ``HistoryBuffer`` and numpy objects) and the official
    TNT releases (``args`` is an argparse Namespace). Checkpoints are files the user names in a
    config or on the command line, i.e. trusted input, as they were before torch 2.6.
    """
    import torch
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found.')
    return torch.load(filename, map_location=map_location, weights_only=False)


def _register_checkpoint_loader():
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local, force=True)


_register_checkpoint_loader()
