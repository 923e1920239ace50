from .config import load_config, register_config_scope
from .data_checks import check_data
from .launch import build_runner, finish, run, setup_env

__all__ = [
    'build_runner', 'check_data', 'finish', 'load_config',
    'register_config_scope', 'run', 'setup_env'
]
