"""The errors a run stops on, and the one line a tool prints for each."""
from mmtnt.checkpoint import CheckpointDownloadError, CheckpointFormatError
from mmtnt.engine import BrokenSampleError, NonFiniteLossError
from mmtnt.utils.config import ConfigError


class LaunchError(RuntimeError):
    """A run that cannot start as asked: task, device or launcher."""


class DataError(ValueError):
    """A config's data that is missing or does not pair up."""


# What a user can fix; the tools print these as one line and exit 1.
USER_ERRORS = (ConfigError, LaunchError, DataError, CheckpointFormatError,
               CheckpointDownloadError, BrokenSampleError, NonFiniteLossError)


def error_line(err):
    """The line a tool prints for ``err``, one of :data:`USER_ERRORS`.

    Raised in a dataloader worker, the message ends the traceback that torch
    re-raises with: its last line is kept.
    """
    text = str(err).strip()
    last = text.splitlines()[-1] if text else type(err).__name__
    return 'error: ' + last.split(type(err).__name__ + ': ', 1)[-1]
