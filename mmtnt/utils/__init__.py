"""Leaves every layer may use: configs, the CUDA environment, the torch
profile of a machine, model complexity. They raise; only tools/ exit."""
from .config import ConfigError, load_config, register_config_scope

__all__ = ['ConfigError', 'load_config', 'register_config_scope']
