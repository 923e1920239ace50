"""The errors every checkpoint function raises."""

CONVERTER = 'tools/model_converters/tnt_to_mmtnt.py'


class CheckpointFormatError(ValueError):
    """A checkpoint that is not TNT, or whose weights do not fit the model."""


class CheckpointDownloadError(RuntimeError):
    """A checkpoint URL that could not be fetched."""
