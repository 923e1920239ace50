#!/usr/bin/env bash
# Build (once) and cache an mmcv 2.1.0 wheel with CPU ops (and CUDA ops where MMCV_CUDA is set) for
# the torch in $PYTHON's environment.
#
# Why by hand: no prebuilt mmcv 2.1 wheel exists for torch 2.14, and the sdist has two build breakers:
#   * its setup.py imports pkg_resources           -> build with setuptools<70, no build isolation;
#   * it hard-codes -std=c++17, torch 2.14 needs C++20 -> patched before building.
# The build's own tools (setuptools<70, wheel, ninja) go into a separate build environment in the
# cache that sees $PYTHON's packages (torch) behind its own: $PYTHON's environment is never modified.
# The wheel lands in $MMTNT_CACHE/wheels (default ~/.cache/mmtnt), outside any checkout, so every
# later set-up on this machine (and every CI clone) reuses it instead of compiling again (25-30 minutes on 2 cores).
#
# CUDA ops: MMCV_CUDA=13.0 or 12.8 (torch's own CUDA version) and TORCH_CUDA_ARCH_LIST ("8.0;9.0").
# The compiler: a CUDA toolkit of that major version named by CUDA_HOME, else (CUDA 13.0) nvcc, the
# CUDA headers and CCCL from the package registry (requirements/cuda-13.0-build.txt), installed into
# the build environment; the libraries' headers come from torch's own nvidia-* wheels. The registry
# has no CUDA 12 nvcc (nvidia-cuda-nvcc-cu12 ships ptxas only): CUDA 12.8 needs CUDA_HOME.
# No GPU is needed: the code is compiled for the listed archs.
#
# Usage: PYTHON=.venv/bin/python tools/build_mmcv.sh      (prints the wheel's path on its last line)
#        PYTHON=.venv/bin/python MMCV_CUDA=13.0 TORCH_CUDA_ARCH_LIST=9.0 tools/build_mmcv.sh
#        PYTHON=.venv-cu128/bin/python MMCV_CUDA=12.8 TORCH_CUDA_ARCH_LIST=7.0 \
#          CUDA_HOME=/usr/local/cuda-12.8 tools/build_mmcv.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

PYTHON=${PYTHON:-.venv/bin/python}
# Absolute, because the compile runs from inside the unpacked sources.
case "$PYTHON" in /*) ;; */*) PYTHON="$PWD/$PYTHON" ;; esac
MMCV_VERSION=${MMCV_VERSION:-2.1.0}
CACHE=${MMTNT_CACHE:-$HOME/.cache/mmtnt}
# The tag names torch's exact build: a wheel compiled against other torch headers imports fine
# but reads tensors with the wrong memory layout (every op then fails: "nms_impl: implementation
# for device cuda:0 not found").
TORCH_TAG=$("$PYTHON" -c 'import torch; print(torch.__version__.replace("+", "-") + "-" + (torch.version.git_version or "")[:8])' 2>/dev/null) || {
  echo "build_mmcv: cannot import torch with $PYTHON. Install torch first (tools/setup_env.sh does)." >&2
  exit 1
}
PY_TAG=$("$PYTHON" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
MMCV_CUDA=${MMCV_CUDA:-}
if [ -n "$MMCV_CUDA" ]; then
  # nvcc must be torch's own CUDA version: another major does not link, another minor is untested.
  torch_cuda=$("$PYTHON" -c 'import torch; print(torch.version.cuda or "none")')
  [ "$torch_cuda" = "$MMCV_CUDA" ] || {
    echo "build_mmcv: MMCV_CUDA=$MMCV_CUDA, but the torch of $PYTHON is built with CUDA $torch_cuda; set MMCV_CUDA=$torch_cuda (or install the torch of that profile: tools/setup_env.sh)." >&2
    exit 1; }
  if [ -n "${CUDA_HOME:-}" ]; then
    nvcc_release=$("$CUDA_HOME/bin/nvcc" --version 2>/dev/null | sed -n 's/.*release \([0-9]*\.[0-9]*\).*/\1/p')
    [ "${nvcc_release%%.*}" = "${MMCV_CUDA%%.*}" ] || {
      echo "build_mmcv: CUDA_HOME=$CUDA_HOME holds nvcc ${nvcc_release:-(none found in bin/)}, but torch is built with CUDA $MMCV_CUDA; point CUDA_HOME at a CUDA ${MMCV_CUDA%%.*}.x toolkit." >&2
      exit 1; }
  elif [ ! -f "$ROOT/requirements/cuda-$MMCV_CUDA-build.txt" ]; then
    echo "build_mmcv: CUDA $MMCV_CUDA's nvcc is not in the package registry (nvidia-cuda-nvcc-cu12 ships ptxas only); set CUDA_HOME to a CUDA ${MMCV_CUDA%%.*}.x toolkit (clusters: module load cuda/$MMCV_CUDA) and run again." >&2
    exit 1
  fi
  [ -n "${TORCH_CUDA_ARCH_LIST:-}" ] || {
    echo "build_mmcv: MMCV_CUDA=$MMCV_CUDA needs TORCH_CUDA_ARCH_LIST (e.g. \"7.0;8.0\"): no GPU is asked which to compile for." >&2
    exit 1; }
  # The key names what the wheel can run on: torch, CUDA and every arch.
  OPS_TAG="cuda$MMCV_CUDA-sm$(echo "$TORCH_CUDA_ARCH_LIST" | tr -d '.' | tr ';' '-' | tr '+' '_')"
else
  OPS_TAG=cpu
fi
WHEEL_DIR="$CACHE/wheels/mmcv-$MMCV_VERSION-torch$TORCH_TAG-$PY_TAG-$OPS_TAG"
LOG="$CACHE/logs/mmcv-$MMCV_VERSION-torch$TORCH_TAG-$PY_TAG-$OPS_TAG.log"

existing=$(ls "$WHEEL_DIR"/mmcv-*.whl 2>/dev/null | head -n 1 || true)
if [ -n "$existing" ]; then
  echo "$existing"
  exit 0
fi

mkdir -p "$WHEEL_DIR" "$(dirname "$LOG")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "build_mmcv: compiling mmcv $MMCV_VERSION with $OPS_TAG ops for torch $TORCH_TAG ($PY_TAG)." >&2
echo "build_mmcv: this takes 10-30 minutes on 2 cores (CPU ops; CUDA ops take longer); full log: $LOG" >&2

fail() {
  echo "" >&2
  echo "build_mmcv: FAILED while $1." >&2
  if [ -s "$LOG" ]; then
    echo "build_mmcv: first compiler errors from $LOG:" >&2
    grep -m 15 -E "error:|Error:|fatal" "$LOG" >&2 || tail -n 15 "$LOG" >&2
  fi
  echo "build_mmcv: what to do: check that gcc/g++ (C++20) and the Python headers are installed" >&2
  echo "  (Debian: apt-get install build-essential python3-dev), that the package registry is reachable," >&2
  echo "  then run the set-up again. Nothing half-built was cached." >&2
  exit 1
}

# The isolated build environment: its own site-packages first, then the target's (for torch).
BUILD_ENV="$CACHE/build-env-$PY_TAG${MMCV_CUDA:+-cuda$MMCV_CUDA}"
{
  [ -x "$BUILD_ENV/bin/python" ] || "$("$PYTHON" -c 'import sys; print(sys._base_executable)')" -m venv "$BUILD_ENV"
  target_site=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  build_site=$("$BUILD_ENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "$target_site" > "$build_site/zz-target-env.pth"
  # pkg_resources is gone from setuptools>=70; ninja makes the compile parallel.
  "$BUILD_ENV/bin/python" -m pip install "setuptools<70" wheel ninja
  "$BUILD_ENV/bin/python" -c 'import torch, pkg_resources'
} >>"$LOG" 2>&1 || fail "creating the isolated build environment $BUILD_ENV"
if [ -n "$MMCV_CUDA" ] && [ -n "${CUDA_HOME:-}" ]; then
  echo "build_mmcv: nvcc $nvcc_release from CUDA_HOME=$CUDA_HOME" >>"$LOG"
  export CUDA_HOME FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST PATH="$CUDA_HOME/bin:$PATH"
elif [ -n "$MMCV_CUDA" ]; then
  CUDA_HOME="$BUILD_ENV/cuda-$MMCV_CUDA"
  {
    "$BUILD_ENV/bin/python" -m pip install -r "$ROOT/requirements/cuda-$MMCV_CUDA-build.txt"
    "$BUILD_ENV/bin/python" "$ROOT/tools/misc/cuda_home.py" "$CUDA_HOME" "$build_site" "$target_site"
    "$CUDA_HOME/bin/nvcc" --version
  } >>"$LOG" 2>&1 || fail "installing nvcc, the headers and CCCL for CUDA $MMCV_CUDA from the registry"
  export CUDA_HOME FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST PATH="$CUDA_HOME/bin:$PATH"
else
  export FORCE_CUDA=0
fi
PYTHON="$BUILD_ENV/bin/python"
{
  "$PYTHON" -m pip download --no-deps --no-binary :all: --no-build-isolation \
    "mmcv==$MMCV_VERSION" -d "$work"
} >>"$LOG" 2>&1 || fail "fetching the mmcv $MMCV_VERSION source distribution"

tar -xzf "$work"/mmcv-"$MMCV_VERSION".tar.gz -C "$work" >>"$LOG" 2>&1 || fail "unpacking the source"
src="$work/mmcv-$MMCV_VERSION"
grep -q -- "-std=c++17" "$src/setup.py" || fail "patching setup.py (no -std=c++17 flag found to raise)"
sed -i 's/-std=c++17/-std=c++20/g' "$src/setup.py"

(
  cd "$src"
  export MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)}
  # No debug info: Python's own flags ask for -g, which makes the compile slower and the wheel 4x larger.
  export CFLAGS="${CFLAGS:-} -g0" CXXFLAGS="${CXXFLAGS:-} -g0"
  "$PYTHON" -m pip wheel --no-deps --no-build-isolation -w "$work/out" . -v
) >>"$LOG" 2>&1 || fail "compiling mmcv"

# The ops must run on CPU tensors with the torch they were compiled against, before caching, and a
# CUDA build must name its CUDA. The extension is loaded on its own: importing mmcv needs mmengine.
(
  cd "$src"/build/lib.*/ && MMCV_CUDA="$MMCV_CUDA" "$PYTHON" - <<'PYEOF'
import glob
import importlib.util
import os

import torch
spec = importlib.util.spec_from_file_location('_ext', glob.glob('mmcv/_ext*.so')[0])
ext = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ext)
boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.], [20., 20., 30., 30.]])
keep = ext.nms(boxes, torch.tensor([.9, .8, .7]), iou_threshold=0.5, offset=0)
assert keep.tolist() == [0, 2], keep
compiled = ext.get_compiling_cuda_version()
assert compiled == (os.environ['MMCV_CUDA'] or 'not available'), compiled
print('build_mmcv: compiled with CUDA', compiled)
PYEOF
) >>"$LOG" 2>&1 || fail "checking the compiled ops (nms on CPU tensors, the CUDA version)"

# Atomic hand-over: a killed build never leaves a wheel that looks finished.
built=$(ls "$work"/out/mmcv-*.whl)
cp "$built" "$WHEEL_DIR/.partial" && mv "$WHEEL_DIR/.partial" "$WHEEL_DIR/$(basename "$built")"
echo "$WHEEL_DIR/$(basename "$built")"
