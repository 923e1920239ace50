from .check_seg_label import CheckSegLabel
from .inat2019 import INat2019

__all__ = ['CheckSegLabel', 'INat2019']
