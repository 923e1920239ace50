"""Atomic local writes for every mmengine file backend user (checkpoints, ``last_checkpoint``).

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
