"""The set-up scripts stop with a message that says what failed and what to do.
"""
import os
import stat
import subprocess

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.slow  # end-to-end runs of the tools


def fake_python(tmp_path, version):
    path = tmp_path / 'python3'
    path.write_text(f'#!/bin/sh\necho {version}\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_unsupported_python(tmp_path):
    env = dict(
        os.environ,
        PYTHON_FOR_VENV=fake_python(tmp_path, '3.9'),
        VENV=str(tmp_path / 'venv'))
    proc = subprocess.run(['bash', 'tools/setup_env.sh'],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 1
    assert 'Python 3.9' in proc.stderr and 'is not supported' in proc.stderr
    assert 'what to do: use CPython 3.10, 3.11 or 3.12' in proc.stderr
    assert not os.path.exists(tmp_path / 'venv')


def freeze():
    import sys
    return subprocess.run([sys.executable, '-m', 'pip', 'freeze', '--all'],
                          capture_output=True,
                          text=True,
                          check=True).stdout


def test_failing_mmcv_build_is_summarised(tmp_path):
    import sys
    before = freeze()
    env = dict(
        os.environ,
        PYTHON=sys.executable,
        MMTNT_CACHE=str(tmp_path / 'cache'),
        MMCV_VERSION='0.0.0.no-such-version')
    proc = subprocess.run(['bash', 'tools/build_mmcv.sh'],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 1
    assert ('FAILED while fetching the mmcv 0.0.0.no-such-version '
            'source distribution' in proc.stderr)
    assert 'what to do' in proc.stderr
    assert len(proc.stderr.splitlines()
               ) < 40  # a summary, not the compiler's whole output
    wheels = tmp_path / 'cache' / 'wheels'
    assert not any(p.suffix == '.whl' for p in wheels.rglob('*'))
    # The build's own tools (setuptools<70, wheel, ninja) went into an isolated
    # build environment in the cache: the environment it builds for is
    # untouched.
    assert freeze() == before
    assert list((tmp_path / 'cache').glob('build-env-*/bin/python'))
