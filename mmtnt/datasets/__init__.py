from .check_seg_label import CheckSegLabel
from .inat2019 import INat2019
from .sample_checks import check_annotation, check_image_file, sample_files

__all__ = [
    'CheckSegLabel', 'INat2019', 'check_annotation', 'check_image_file',
    'sample_files'
]
