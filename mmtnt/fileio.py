"""Atomic checkpoint writes: the ``mmtnt_atomic`` file backend, chosen in a
config with ``default_hooks =
dict(checkpoint=dict(backend_args=dict(backend='mmtnt_atomic')))``."""
import os
import os.path as osp
import tempfile

import mmengine
from mmengine.fileio import LocalBackend, register_backend

ATOMIC_BACKEND = 'mmtnt_atomic'


class AtomicLocalBackend(LocalBackend):
    """:class:`mmengine.fileio.LocalBackend` whose ``put``/``put_text`` are
    all-or-nothing: written to a temporary file in the same folder, then
    renamed over the target."""

    @staticmethod
    def _atomic_write(data, filepath, mode, encoding=None):
        filepath = str(filepath)
        folder = osp.dirname(osp.abspath(filepath))
        mmengine.mkdir_or_exist(folder)
        fd, tmp = tempfile.mkstemp(
            prefix='.' + osp.basename(filepath) + '.', dir=folder)
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


# A new name, nothing replaced: configs choose it for their checkpoints with
# default_hooks.checkpoint.backend_args=dict(backend='mmtnt_atomic') (mmtnt's
# own configs do).
register_backend(ATOMIC_BACKEND, AtomicLocalBackend)
