# One entry point. `make demo` and `make test` set the environment up first (idempotent).
VENV ?= .venv
PY := $(VENV)/bin/python
WORK ?= work_dirs/demo
PYTEST_ARGS ?=

.PHONY: setup demo test test-fast test-cu128 gpu-check lint bench mutation mutation-sample clean-env

setup:
	@bash tools/setup_env.sh

# The main job: train a TNT on real handwritten digits, test it, classify a photograph.
demo: setup
	@bash tools/demo.sh $(WORK)

# One pytest-xdist worker per core of the 2-core CI machine (JOBS=0: serial).
JOBS ?= 2
test: setup
	@$(PY) -m pytest tests -n $(JOBS) --dist worksteal $(PYTEST_ARGS)

# Everything but the end-to-end runs of the tools (tests marked `slow`).
test-fast: setup
	@$(PY) -m pytest tests -m "not slow" $(PYTEST_ARGS)

# The cu128 profile's torch line (torch 2.10.0, CUDA 12.8: V100s, older drivers) on CPU: its own
# environment beside .venv, mmcv with CPU ops (CUDA 12's nvcc is not in the registry), the fast tests.
VENV_CU128 ?= .venv-cu128
test-cu128:
	@VENV=$(VENV_CU128) MMTNT_TORCH_PROFILE=cu128 MMTNT_MMCV_OPS=cpu bash tools/setup_env.sh
	@$(VENV_CU128)/bin/python -m pytest tests -m "not slow" $(PYTEST_ARGS)

# The GPU acceptance check (tests/gpu_check.py): train and test every task on the GPU in fp32,
# float16 and bfloat16, a 1-GPU dist_train.sh job, the benchmark; one line per check. Without a
# GPU every GPU step reports "no GPU" and is skipped.
gpu-check: setup
	@$(PY) -m tests.gpu_check $(GPU_CHECK_ARGS)

# OpenMMLab's linters with the settings in setup.cfg (what .pre-commit-config.yaml runs).
lint: setup
	@$(PY) -m flake8 mmtnt tools tests configs setup.py
	@$(PY) -m isort --check-only --diff mmtnt tools tests configs setup.py
	@$(PY) -m yapf --diff --recursive mmtnt tools tests configs setup.py

# Speed benchmarks (pytest-benchmark; skipped by `make test`). The side-by-side ratios come from
# tools/analysis_tools/benchmark.py (docs/benchmark.md).
bench: setup
	@$(PY) -m pytest tests/benchmarks --benchmark-only --benchmark-columns=min,median,max,rounds $(PYTEST_ARGS)

# Mutation testing (mutmut 3, settings in setup.cfg [mutmut]): each mutant of
# mmtnt/ must make a fast test fail. Not part of `make test`; scores in
# docs/testing.md. MUTATE picks mutants by name: MUTATE='mmtnt.checkpoint.*'.
MUTATE ?=
mutation: setup
	@$(PY) -m pip install -q -r requirements/mutation.txt
	@# mutmut copies files, not links: give its copy of mmtnt the .mim links
	@mkdir -p mutants/mmtnt/.mim && for f in configs tools model-index.yml; do \
		ln -sfn ../../$$f mutants/mmtnt/.mim/$$f; done
	-@$(PY) -m mutmut run --max-children 2 $(MUTATE)
	@$(PY) -m mutmut results

# The score of a seeded random sample of each module's mutants, with its 95%
# interval (tools/misc/mutation_sample.py): about an hour instead of a day.
MODULES ?= mmtnt.checkpoint mmtnt.models
SAMPLE ?= 100
mutation-sample: setup
	@$(PY) -m pip install -q -r requirements/mutation.txt
	@$(PY) tools/misc/mutation_sample.py $(MODULES) --sample $(SAMPLE)

clean-env:
	rm -rf $(VENV)
