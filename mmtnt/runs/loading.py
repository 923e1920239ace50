"""A checkpoint for a run: read once, converted when it is a TNT release,
checked against the built model before the runner writes a weight."""
import contextlib
import os.path as osp
import pickle

from mmengine.model import is_model_wrapper

from mmtnt.checkpoint import (TRUST_VARIABLE, CheckpointFormatError,
                              check_fits, checkpoint_types_allowed,
                              convert_release, read_checkpoint, refused_type)


def prepare_checkpoint(filename, work_dir):
    """Read ``filename``; a TNT release (official, timm, mmpretrain) is
    written as an mmtnt file to ``work_dir/converted`` for the runner.

    Returns:
        tuple: (path the runner loads, release format or None, the checkpoint
        as read).
    """
    checkpoint = read_checkpoint(filename)
    path, fmt = convert_release(filename, osp.join(work_dir, 'converted'),
                                checkpoint)
    return path, fmt, checkpoint


def check_runner_model(runner, checkpoint, where, head_may_differ=False):
    """:func:`mmtnt.checkpoint.check_fits` for the runner's (unwrapped)
    model: a half-loaded model is never trained or evaluated."""
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    check_fits(model, checkpoint, where, head_may_differ)


@contextlib.contextmanager
def checkpoint_loads(source):
    """Runner calls that load ``source`` (``load_from``, ``--resume``): the
    types of real checkpoints allowed, any other refused with
    :class:`CheckpointFormatError` naming the file."""
    try:
        with checkpoint_types_allowed():
            yield
    except pickle.UnpicklingError as err:
        raise CheckpointFormatError(
            f'{source}: refused to load: it needs {refused_type(err)}, which no real checkpoint holds (unpickling it could run code). If you trust this file, set {TRUST_VARIABLE}=1.'  # noqa: E501
        ) from None
