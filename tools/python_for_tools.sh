# Sourced by the dist_* and slurm_* scripts: which Python runs the tools, in this order:
#   an explicit PYTHON=...; the active virtualenv (VIRTUAL_ENV) or conda environment (CONDA_PREFIX);
#   the checkout's .venv (made by `make setup`); python on PATH.
# Expects DIR (the tools folder). Sets PYTHON.
if [ -z "${PYTHON:-}" ]; then
  if [ -z "${VIRTUAL_ENV:-}${CONDA_PREFIX:-}" ] && [ -x "$DIR/../.venv/bin/python" ]; then
    PYTHON="$DIR/../.venv/bin/python"
  else
    PYTHON=python
  fi
fi
