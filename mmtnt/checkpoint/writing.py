"""Writing mmtnt checkpoint files: atomically, once for all ranks."""
import os
import os.path as osp

from mmengine.logging import print_log

from mmtnt.fileio import AtomicLocalBackend, one_writer, save_atomic
from .errors import CheckpointFormatError
from .formats import convert_checkpoint, release_format, unwrap
from .reading import read_checkpoint


def save_mmtnt_checkpoint(state_dict, meta, path):
    """Write ``{'state_dict': ..., 'meta': ...}`` to ``path`` all-or-nothing
    (a reader sees the old file or the whole new one)."""
    save_atomic({'state_dict': state_dict, 'meta': meta}, path)


def convert_release(filename, out_dir, checkpoint=None):
    """A TNT release (official, timm, mmpretrain) as an mmtnt checkpoint file
    in ``out_dir``; any other checkpoint's path is returned as it is.

    Every rank of a job may call it at once: the first writes the file, the
    others wait and reuse it while the source file is unchanged.

    Args:
        filename (str): The checkpoint file.
        out_dir (str): Where the converted file goes.
        checkpoint (optional): The file's contents, if already read
            (:func:`read_checkpoint`).

    Returns:
        tuple[str, str | None]: The path to load and the release format (None
        if not one).
    """
    if checkpoint is None:
        checkpoint = read_checkpoint(filename)
    state = unwrap(checkpoint)
    if state is None:
        raise CheckpointFormatError(
            f'{filename}: the file holds no state dict.')
    fmt = release_format(state)
    if fmt is None:
        return filename, None
    path = osp.join(out_dir, f'{osp.basename(filename)}.mmtnt.pth')
    source = source_stamp(filename)
    with one_writer(path):
        if osp.isfile(path) and _read_text(path + '.source') == source:
            return path, fmt
        converted, fmt, layout = convert_checkpoint(checkpoint)
        save_mmtnt_checkpoint(
            converted, dict(source=filename, source_format=fmt, layout=layout),
            path)
        AtomicLocalBackend().put_text(source, path + '.source')
        print_log(f'converted {filename} ({fmt}) to {path}', logger='current')
    return path, fmt


def source_stamp(filename):
    """Path, size and modification time of a file: what the converted copy of
    it was made from."""
    stat = os.stat(filename)
    return f'{osp.abspath(filename)} {stat.st_size} {stat.st_mtime_ns}\n'


def _read_text(filename):
    try:
        with open(filename) as f:
            return f.read()
    except OSError:
        return None
