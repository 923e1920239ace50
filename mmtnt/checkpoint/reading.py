"""Reading checkpoint files and URLs without running code from them."""
import argparse
import contextlib
import os
import os.path as osp
import pickle
import re
import urllib.error

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

from mmtnt.fileio import one_writer
from .errors import CheckpointDownloadError, CheckpointFormatError

TRUST_VARIABLE = 'MMTNT_TRUST_CHECKPOINTS'
TORCH_NO_WEIGHTS_ONLY = 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'


def _safe_globals():
    """What real checkpoints pickle besides tensors: the official releases'
    ``args``, mmengine's message hub (history buffers of numpy values) and
    numpy scalars and arrays."""
    numpy_core = getattr(np, '_core', None) or np.core
    types = [
        argparse.Namespace, HistoryBuffer, np.ndarray, np.dtype,
        numpy_core.multiarray.scalar, numpy_core.multiarray._reconstruct
    ]
    types += [
        type(np.dtype(t)) for t in ('float16', 'float32', 'float64', 'int32',
                                    'int64', 'uint8', 'bool')
    ]
    return types + [(_history_buffer_method, 'builtins.getattr')]


def _history_buffer_method(obj, name):
    """The one ``getattr`` real checkpoints pickle: a HistoryBuffer statistics
    method."""
    if obj is HistoryBuffer and name in vars(HistoryBuffer) and callable(
            vars(HistoryBuffer)[name]):
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'GLOBAL getattr({obj!r}, {name!r}) is not allowed')


def read_checkpoint(filename, map_location='cpu'):
    """Read a checkpoint file or URL without running code from it.

    Args:
        filename (str): A path, or an ``http(s)://`` URL (downloaded once into
            torch's hub cache, with a progress bar).
        map_location (str): Passed to :func:`torch.load`.

    Returns:
        The unpickled object. Only tensors and the types of real checkpoints
        are accepted; set the environment variable
        ``MMTNT_TRUST_CHECKPOINTS=1`` to read any pickle.

    Raises:
        CheckpointFormatError: The file needs another type (named in the
            message).
        CheckpointDownloadError: The URL could not be fetched.
    """
    if filename.startswith(('http://', 'https://')):
        filename = _download(filename)
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} does not exist.')
    if os.environ.get(TRUST_VARIABLE) == '1':
        return torch.load(
            filename, map_location=map_location, weights_only=False)
    try:
        with torch.serialization.safe_globals(_safe_globals()):
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except Exception as err:  # noqa: BLE001 (a file torch cannot read)
        what = refused_type(err)
        if what is None:
            lines = str(err).strip().splitlines()
            first = lines[0] if lines else type(err).__name__
            raise CheckpointFormatError(
                f'{filename} could not be read as a checkpoint ({first}).'
            ) from None
        raise CheckpointFormatError(
            f'{filename}: refused to load: it needs {what}, which no real checkpoint holds (unpickling it could run code). If you trust this file, set {TRUST_VARIABLE}=1.'  # noqa: E501
        ) from None


@contextlib.contextmanager
def checkpoint_types_allowed():
    """Within the block, ``torch.load`` (e.g. mmengine's
    ``load_from``/``--resume``) accepts the types real checkpoints hold besides
    tensors, still refusing any other; with ``MMTNT_TRUST_CHECKPOINTS=1`` it
    reads any pickle."""
    trusted = os.environ.get(TRUST_VARIABLE) == '1'
    saved = os.environ.get(TORCH_NO_WEIGHTS_ONLY)
    if trusted:
        os.environ[TORCH_NO_WEIGHTS_ONLY] = '1'
    try:
        with torch.serialization.safe_globals(_safe_globals()):
            yield
    finally:
        if trusted:
            if saved is None:
                os.environ.pop(TORCH_NO_WEIGHTS_ONLY, None)
            else:
                os.environ[TORCH_NO_WEIGHTS_ONLY] = saved


def refused_type(err):
    """The type named in torch's ``weights_only`` refusal, or None."""
    found = re.search(r'GLOBAL (\S+)', str(err))
    return found.group(1) if found else None


def _download(url):
    """Fetch ``url`` into torch's hub cache (once) and return the local path.
    """
    folder = osp.join(torch.hub.get_dir(), 'checkpoints')
    path = osp.join(folder, osp.basename(url.split('?')[0]))
    if osp.isfile(path):
        return path
    with one_writer(path):  # every rank asks; the first downloads
        if osp.isfile(path):
            return path
        try:
            torch.hub.download_url_to_file(url, path, progress=True)
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, 'reason', err)
            raise CheckpointDownloadError(
                f'could not download {url} ({reason}). Download it where there is network access and pass the local file instead (e.g. pretrained="/path/to/file.pth").'  # noqa: E501
            ) from None
    return path
