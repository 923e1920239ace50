"""What mmtnt's tools share to set up and drive a run: the launch, checks of
the config's data, the checkpoint to load, and the errors a run stops on."""
from .data_checks import check_data
from .errors import USER_ERRORS, DataError, LaunchError, error_line
from .launch import (add_device_argument, build_runner, compile_model,
                     describe_run, finish, set_rank_variables, setup_env,
                     use_cuda)
from .loading import check_runner_model, checkpoint_loads, prepare_checkpoint

__all__ = [
    'USER_ERRORS', 'DataError', 'LaunchError', 'add_device_argument',
    'build_runner', 'check_data', 'check_runner_model', 'checkpoint_loads',
    'compile_model', 'describe_run', 'error_line', 'finish',
    'prepare_checkpoint', 'set_rank_variables', 'setup_env', 'use_cuda'
]
