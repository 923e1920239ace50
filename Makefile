# One entry point. `make demo` and `make test` set the environment up first (idempotent).
VENV ?= .venv
PY := $(VENV)/bin/python
WORK ?= work_dirs/demo
PYTEST_ARGS ?=

.PHONY: setup demo test bench clean-env

setup:
	@bash tools/setup_env.sh

# The main job: train a TNT on real handwritten digits, test it, classify a photograph.
demo: setup
	@bash tools/demo.sh $(WORK)

test: setup
	@$(PY) -m pytest tests $(PYTEST_ARGS)

# Speed benchmarks (pytest-benchmark; skipped by `make test`). The side-by-side ratios come from
# tools/analysis_tools/benchmark.py (docs/benchmark.md).
bench: setup
	@$(PY) -m pytest tests/benchmarks --benchmark-only --benchmark-columns=min,median,max,rounds $(PYTEST_ARGS)

clean-env:
	rm -rf $(VENV)
