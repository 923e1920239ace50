"""Speed benchmarks (pytest-benchmark): skipped in the test suite, run by
``make bench``.

They time, they do not assert: a noisy 2-core CI machine must not fail on a
slow minute.
"""
import pytest


def pytest_collection_modifyitems(config, items):
    if config.getoption('benchmark_only', False):
        return
    skip = pytest.mark.skip(reason='speed benchmark; run with `make bench`')
    for item in items:
        if 'benchmarks' in item.path.parts:
            item.add_marker(skip)
