"""TNT checkpoints: safe reading, the released formats, fitting a file to a
model before any weight is written, and atomic writing.

Formats: official (huawei-noah), timm, mmtnt and mmpretrain for TNT (layouts:
official and legacy); official (= mmtnt) for PyramidTNT. docs/design.md
describes how each is recognised.
"""
from .errors import CONVERTER, CheckpointDownloadError, CheckpointFormatError
from .fitting import (Mismatch, adapt_pyramid_state_dict, adapt_state_dict,
                      check_fits, check_layout, compare_state_dicts,
                      fit_state_dict, init_from_pretrained, load_checkpoint,
                      load_pretrained, model_state_dict)
from .formats import (convert_checkpoint, convert_mmpretrain, convert_official,
                      detect_format, detect_layout, release_format,
                      strip_prefix, to_mmtnt_backbone, unwrap)
from .reading import (TRUST_VARIABLE, checkpoint_types_allowed,
                      read_checkpoint, refused_type)
from .writing import convert_release, save_mmtnt_checkpoint, source_stamp

__all__ = [
    'CONVERTER', 'TRUST_VARIABLE', 'CheckpointDownloadError',
    'CheckpointFormatError', 'Mismatch', 'adapt_pyramid_state_dict',
    'adapt_state_dict', 'check_fits', 'check_layout',
    'checkpoint_types_allowed', 'compare_state_dicts', 'convert_checkpoint',
    'convert_mmpretrain', 'convert_official', 'convert_release',
    'detect_format', 'detect_layout', 'fit_state_dict', 'init_from_pretrained',
    'load_checkpoint', 'load_pretrained', 'model_state_dict',
    'read_checkpoint', 'refused_type', 'release_format',
    'save_mmtnt_checkpoint', 'source_stamp', 'strip_prefix',
    'to_mmtnt_backbone', 'unwrap'
]
