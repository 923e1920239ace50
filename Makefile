# One entry point. `make demo` and `make test` set the environment up first (idempotent).
VENV ?= .venv
PY := $(VENV)/bin/python
WORK ?= work_dirs/demo
PYTEST_ARGS ?=

.PHONY: setup demo test test-fast lint bench mutation clean-env

setup:
	@bash tools/setup_env.sh

# The main job: train a TNT on real handwritten digits, test it, classify a photograph.
demo: setup
	@bash tools/demo.sh $(WORK)

test: setup
	@$(PY) -m pytest tests $(PYTEST_ARGS)

# Everything but the end-to-end runs of the tools (tests marked `slow`).
test-fast: setup
	@$(PY) -m pytest tests -m "not slow" $(PYTEST_ARGS)

# OpenMMLab's linters with the settings in setup.cfg (what .pre-commit-config.yaml runs).
lint: setup
	@$(PY) -m flake8 mmtnt tools tests configs setup.py
	@$(PY) -m isort --check-only --diff mmtnt tools tests configs setup.py
	@$(PY) -m yapf --diff --recursive mmtnt tools tests configs setup.py

# Speed benchmarks (pytest-benchmark; skipped by `make test`). The side-by-side ratios come from
# tools/analysis_tools/benchmark.py (docs/benchmark.md).
bench: setup
	@$(PY) -m pytest tests/benchmarks --benchmark-only --benchmark-columns=min,median,max,rounds $(PYTEST_ARGS)

# Mutation testing with mutmut: each mutant of MUTATE must make the fast tests in MUTATE_TESTS
# fail. Not part of `make test` (hours for the whole package on 2 cores); scores in docs/testing.md.
MUTATE ?= mmtnt/models/heads/tnt_cls_head.py
MUTATE_TESTS ?= tests/test_models
mutation: setup
	@$(PY) -m pip install -q -r requirements/mutation.txt
	@rm -f .mutmut-cache
	-@$(PY) -m mutmut run --paths-to-mutate $(MUTATE) --tests-dir tests --no-progress --simple-output \
		--runner "$(abspath $(PY)) -m pytest -x -q -p no:cacheprovider -m 'not slow' $(MUTATE_TESTS)"
	@$(PY) -m mutmut results

clean-env:
	rm -rf $(VENV)
