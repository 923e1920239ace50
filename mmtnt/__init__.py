"""mmtnt: Transformer in Transformer (TNT) for the OpenMMLab 2.x stack."""
from importlib import metadata

from mmengine.utils import digit_version

from .version import __version__

# The versions mmtnt is tested with; outside these ranges configs or registries
# break in ways that are hard to trace back, so say so at import time.
_REQUIRED = {
    'mmengine': ('0.10.0', '0.11.0'),
    'mmcv': ('2.1.0', '2.2.0'),
    'mmpretrain': ('1.2.0', '1.3.0'),
}


def _check_versions():
    for name, (low, high) in _REQUIRED.items():
        try:  # the installed version, read without importing the package
            version = metadata.version(name)
        except metadata.PackageNotFoundError as err:
            raise ImportError(
                f'mmtnt needs {name}>={low},<{high} but it is not installed ({err}). Run `make setup` (or tools/setup_env.sh) to create the tested environment.'  # noqa: E501
            ) from err
        if not digit_version(low) <= digit_version(version) < digit_version(
                high):
            raise ImportError(
                f'mmtnt needs {name}>={low},<{high}, found {version}. Install the versions in requirements/ (`make setup` does).'  # noqa: E501
            )


_check_versions()

from . import fileio  # noqa: E402,F401  (atomic checkpoint writes)
from .utils.config import register_config_scope  # noqa: E402

register_config_scope(
)  # configs may inherit `mmtnt::tnt/tnt-s_16xb64_in1k.py`

__all__ = ['__version__']
