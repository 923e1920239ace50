"""Atomic checkpoint writes: the ``mmtnt_atomic`` file backend, chosen in a
config with ``default_hooks =
dict(checkpoint=dict(backend_args=dict(backend='mmtnt_atomic')))``;
:func:`save_atomic` and :func:`one_writer` for files that every rank of a run
asks for (converted releases, downloads)."""
import contextlib
import fcntl
import io
import os
import os.path as osp
import tempfile

import mmengine
import torch
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


def save_atomic(obj, filepath):
    """``torch.save`` all-or-nothing: a reader sees the old file or the whole
    new one."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    AtomicLocalBackend._atomic_write(buffer.getvalue(), filepath, 'wb')


@contextlib.contextmanager
def one_writer(filepath):
    """Run the block in one process at a time for ``filepath``: an exclusive
    ``flock`` on ``filepath + '.lock'``. The ranks of a node (and of every
    node, on a shared filesystem with working locks) wait for the first, then
    find its file."""
    mmengine.mkdir_or_exist(osp.dirname(osp.abspath(filepath)))
    with open(filepath + '.lock', 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
