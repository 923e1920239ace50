from .config import amp_optim_wrapper, load_config, register_config_scope
from .data_checks import check_data
from .launch import add_device_argument, build_runner, finish, run, setup_env

__all__ = [
    'add_device_argument', 'amp_optim_wrapper', 'build_runner', 'check_data',
    'finish', 'load_config', 'register_config_scope', 'run', 'setup_env'
]
