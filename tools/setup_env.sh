#!/usr/bin/env bash
# Create or update the project environment in .venv/ (idempotent).
#
#   tools/setup_env.sh            # first run: ~15-20 min (mmcv compile); later runs: seconds
#   VENV=/path/to/venv tools/setup_env.sh
#
# Steps, each skipped when already satisfied:
#   1. check the Python version          4. install the mmcv wheel (compiled once, cached in ~/.cache/mmtnt)
#   2. create the virtual environment    5. install the OpenMMLab stack, test deps and mmtnt (editable)
#   3. install torch + torchvision       6. checks: the whole stack imports (mmcv.ops included),
#                                           pkg_resources is there (mmengine's `pkg::` configs,
#                                           mim), `pip check` is clean, mmtnt/.mim is in place
#                                        7. build mmtnt's fused inner-transformer kernel (cached)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
VENV=${VENV:-$ROOT/.venv}
PY=${PYTHON_FOR_VENV:-python3}
PIP="$VENV/bin/python -m pip --disable-pip-version-check"
STAMP="$VENV/.mmtnt-setup-stamp"

say() { echo "[setup] $*"; }
die() { echo "[setup] ERROR: $1" >&2; echo "[setup] what to do: $2" >&2; exit 1; }

# 1. Python: torch 2.14.1 wheels and the mm* stack are tested here on CPython 3.10-3.12.
command -v "$PY" >/dev/null || die "'$PY' was not found." "install CPython 3.10-3.12 or set PYTHON_FOR_VENV=/path/to/python3.11."
pyver=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
case "$pyver" in
  3.10|3.11|3.12) ;;
  *) die "Python $pyver ($PY) is not supported." "use CPython 3.10, 3.11 or 3.12 (3.11 is tested), e.g. PYTHON_FOR_VENV=python3.11 $0." ;;
esac

# A stamp of every input file: an unchanged environment is checked in seconds.
want=$(cat requirements/*.txt setup.py tools/setup_env.sh tools/build_mmcv.sh | sha256sum | cut -c1-16)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && \
   "$VENV/bin/python" -c 'import mmtnt, mmcv.ops, pkg_resources' >/dev/null 2>&1 && \
   [ -e mmtnt/.mim/model-index.yml ]; then
  say "environment $VENV is up to date."
  exit 0
fi

# 2. venv
if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV with Python $pyver"
  "$PY" -m venv "$VENV" || die "could not create $VENV." "install the venv module (Debian: apt-get install python3-venv)."
fi

# 3. torch
if ! "$VENV/bin/python" - <<'EOF' >/dev/null 2>&1
import torch, torchvision
assert torch.__version__.startswith("2.14.1") and torchvision.__version__.startswith("0.29.1")
EOF
then
  say "installing torch and torchvision (large download the first time)"
  $PIP install -qq -r requirements/torch.txt || die "installing torch/torchvision failed (see pip's message above)." \
    "check that the package registry is reachable and that there is disk space (about 8 GB), then run again."
fi

# 4. mmcv with ops, compiled once per machine
# Importing is not enough: a wheel built against other torch headers imports, then every op fails.
mmcv_ops_work() {
  "$VENV/bin/python" - <<'EOF' >/dev/null 2>&1
import mmcv, torch
from mmcv.ops import nms
assert mmcv.__version__ == "2.1.0"
assert nms(torch.tensor([[0., 0., 9., 9.], [1., 1., 9., 9.]]), torch.tensor([.9, .8]), .5)[1].tolist() == [0]
EOF
}
if ! mmcv_ops_work; then
  wheel=$(PYTHON="$VENV/bin/python" bash tools/build_mmcv.sh | tail -n 1) || \
    die "building mmcv failed (message above)." "fix what it names and run $0 again."
  say "installing $wheel"
  $PIP install -qq --no-deps --force-reinstall "$wheel" || die "installing $wheel failed." "delete it and run again to rebuild."
fi

# 5. the rest. setuptools: torch asks for >=77; mmengine's package lookups (`mmdet::` configs) and
#    openmim import pkg_resources, which setuptools 82 removed.
say "installing the OpenMMLab stack, test dependencies and mmtnt"
$PIP install -qq "setuptools>=77.0.3,<82" -r requirements/runtime.txt -r requirements/tests.txt -r requirements/optional.txt \
  -r requirements/mim.txt \
  || die "installing the Python dependencies failed (see pip's message above)." "check the registry is reachable, then run again."
# Editable: setup.py links configs/, tools/ and model-index.yml into mmtnt/.mim for mmengine and mim.
$PIP install -qq --no-deps --no-build-isolation -e . || die "installing mmtnt itself failed." "run '$PIP install -e .' to see why."
# mmengine (`mmtnt::` configs) and mim look for an installed package, and its .mim, in
# site-packages/mmtnt; an editable install keeps the package in the checkout, so link it there.
site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
{ [ -L "$site/mmtnt" ] || [ ! -e "$site/mmtnt" ]; } && ln -sfn "$ROOT/mmtnt" "$site/mmtnt"

# 6. import check (mmcv's ops need mmengine, so they can only be run now)
mmcv_ops_work || die "mmcv's ops do not run with this torch (the wheel in ~/.cache/mmtnt/wheels was built against other torch headers)." \
  "delete ~/.cache/mmtnt/wheels/mmcv-* and run $0 again to rebuild it."
"$VENV/bin/python" - <<'EOF' || die "the installed stack does not import (message above)." "delete $VENV and run $0 again."
import mmcv, mmcv.ops, mmengine, mmpretrain, mmdet, mmseg, torch, torchvision, mmtnt
print(f"[setup] torch {torch.__version__}, mmcv {mmcv.__version__} (ops), mmengine {mmengine.__version__}, "
      f"mmpretrain {mmpretrain.__version__}, mmdet {mmdet.__version__}, mmseg {mmseg.__version__}, mmtnt {mmtnt.__version__}")
EOF
"$VENV/bin/python" -W ignore -c 'import pkg_resources' 2>/dev/null || die \
  "pkg_resources cannot be imported: mmengine's package-scope configs (mmdet::, mmtnt::) and mim need it, and setuptools>=82 no longer ships it." \
  "install setuptools>=77.0.3,<82 into $VENV ($PIP install 'setuptools>=77.0.3,<82')."
$PIP check >/dev/null || { $PIP check >&2 || true; die "the environment's requirements are inconsistent (pip check, above)." \
  "install what pip check names, or delete $VENV and run $0 again."; }
[ -e mmtnt/.mim/model-index.yml ] || die "mmtnt/.mim/model-index.yml is missing after the editable install." \
  "run '$PIP install --no-deps -e .' from $ROOT and check that setup.py ran."
# 7. mmtnt's fused inner-transformer kernel: compiled once (about 40 s), cached in ~/.cache/mmtnt/ops.
#    Without it TNT still runs (the eager inner transformer), so a failure is reported, not fatal.
"$VENV/bin/python" - <<'EOF' || say "WARNING: the fused inner transformer did not build (above); TNT runs its eager path."
import warnings
warnings.simplefilter("error")
from mmtnt.ops import fused_inner_available
assert fused_inner_available()
print("[setup] fused inner transformer built (mmtnt.ops)")
EOF
echo "$want" > "$STAMP"
say "done: $VENV"
