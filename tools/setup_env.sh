#!/usr/bin/env bash
# Create or update the project environment in .venv/ (idempotent).
#
#   tools/setup_env.sh            # first run: ~15-20 min (mmcv compile); later runs: seconds
#   tools/setup_env.sh --dry-run  # print the profile it would install (or its refusal); installs nothing
#   VENV=/path/to/venv tools/setup_env.sh
#   MMTNT_TORCH_PROFILE=cu128 TORCH_CUDA_ARCH_LIST="7.0" tools/setup_env.sh   # for other machines
#
# The profile (tools/misc/gpu_profile.py) follows nvidia-smi: cpu (no GPU: torch 2.14.1), cu130
# (sm_75 and newer with a CUDA 13 driver: torch 2.14.1) or cu128 (V100s, or an older driver:
# torch 2.10.0). GPU profiles compile mmcv's CUDA ops for the GPUs found.
#
# Steps, each skipped when already satisfied:
#   1. check the Python version, choose the profile  5. install the OpenMMLab stack, test deps and
#   2. create the virtual environment                   mmtnt (editable)
#   3. install the profile's torch + torchvision     6. checks: mmcv's ops run (on the GPU too where
#   4. install the mmcv wheel (compiled once per        there is one: tools/misc/check_stack.py),
#      torch, CUDA and arch list, cached in             pkg_resources is there (`pkg::` configs, mim),
#      ~/.cache/mmtnt)                                  `pip check` is clean, mmtnt/.mim is in place
#                                                    7. build mmtnt's fused inner-transformer kernel
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
VENV=${VENV:-$ROOT/.venv}
PY=${PYTHON_FOR_VENV:-python3}
PIP="$VENV/bin/python -m pip --disable-pip-version-check"
STAMP="$VENV/.mmtnt-setup-stamp"

say() { echo "[setup] $*"; }
die() { echo "[setup] ERROR: $1" >&2; echo "[setup] what to do: $2" >&2; exit 1; }

DRY_RUN=0
case "${1:-}" in
  --dry-run) DRY_RUN=1 ;;
  "") ;;
  *) die "unknown argument '$1'." "run $0, or $0 --dry-run to see the profile." ;;
esac

# 1. Python: the torch wheels and the mm* stack are tested here on CPython 3.10-3.12.
command -v "$PY" >/dev/null || die "'$PY' was not found." "install CPython 3.10-3.12 or set PYTHON_FOR_VENV=/path/to/python3.11."
pyver=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
case "$pyver" in
  3.10|3.11|3.12) ;;
  *) die "Python $pyver ($PY) is not supported." "use CPython 3.10, 3.11 or 3.12 (3.11 is tested), e.g. PYTHON_FOR_VENV=python3.11 $0." ;;
esac

# The profile: which torch build, CUDA and arch list serve this machine's GPUs (one line if none).
if [ "$DRY_RUN" = 1 ]; then
  "$PY" tools/misc/gpu_profile.py 2>&1 | sed 's/^/[setup] /'
  exit "${PIPESTATUS[0]}"
fi
profile=$("$PY" tools/misc/gpu_profile.py --shell 2>&1) || { echo "[setup] $profile" >&2; exit 1; }
eval "$profile"
# MMTNT_MMCV_OPS=cpu: mmcv with CPU ops only, for CPU tests of a GPU profile's torch (make test-cu128).
[ "${MMTNT_MMCV_OPS:-}" = cpu ] && MMTNT_CUDA_OPS="" || MMTNT_CUDA_OPS=$MMTNT_CUDA
if [ -n "$MMTNT_CUDA_OPS" ] && [ -z "$MMTNT_NVCC_IN_REGISTRY" ] && [ -z "${CUDA_HOME:-}" ]; then
  echo "[setup] refused: profile $MMTNT_PROFILE compiles mmcv's CUDA ops with CUDA $MMTNT_CUDA, whose nvcc is not in the package registry; set CUDA_HOME to a CUDA $MMTNT_CUDA toolkit (clusters: module load cuda/$MMTNT_CUDA) and run again" >&2
  exit 1
fi
say "profile $MMTNT_PROFILE: torch $MMTNT_TORCH_VERSION${MMTNT_CUDA:+ (CUDA $MMTNT_CUDA)}${MMTNT_CUDA_OPS:+, mmcv CUDA ops for $MMTNT_ARCH_LIST}"

# A stamp of every input file and the profile: an unchanged environment is checked in seconds.
want=$({ cat requirements/*.txt setup.py tools/setup_env.sh tools/build_mmcv.sh; echo "$profile $MMTNT_CUDA_OPS"; } | sha256sum | cut -c1-16)
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

# 3. torch: exactly the pins of the profile's requirements file
tv=$(sed -n 's/^torchvision==//p' "$MMTNT_TORCH_REQUIREMENTS")
if ! "$VENV/bin/python" -c '
import sys, torch, torchvision
assert torch.__version__.split("+")[0] == sys.argv[1] and torchvision.__version__.split("+")[0] == sys.argv[2]
' "$MMTNT_TORCH_VERSION" "$tv" >/dev/null 2>&1; then
  say "installing torch $MMTNT_TORCH_VERSION and torchvision $tv (large download the first time)"
  $PIP install -qq -r "$MMTNT_TORCH_REQUIREMENTS" || die "installing torch/torchvision failed (see pip's message above)." \
    "check that the package registry is reachable and that there is disk space (about 8 GB), then run again."
fi

# 4. mmcv with ops, compiled once per torch, CUDA and arch list (tools/build_mmcv.sh finds a cached
#    wheel in seconds). A wheel compiled against other torch headers imports, then every op fails:
#    the installed wheel is recorded, and replaced when the profile's wheel is another.
wheel=$(PYTHON="$VENV/bin/python" MMCV_CUDA="$MMTNT_CUDA_OPS" TORCH_CUDA_ARCH_LIST="$MMTNT_ARCH_LIST" \
  bash tools/build_mmcv.sh | tail -n 1) || die "building mmcv failed (message above)." "fix what it names and run $0 again."
if [ "$(cat "$VENV/.mmtnt-mmcv-wheel" 2>/dev/null)" != "$wheel" ]; then
  say "installing $wheel"
  $PIP install -qq --no-deps --force-reinstall "$wheel" || die "installing $wheel failed." "delete it and run again to rebuild."
  echo "$wheel" > "$VENV/.mmtnt-mmcv-wheel"
fi

# 5. the rest. setuptools: torch asks for >=77; mmengine's package lookups (`mmdet::` configs) and
#    openmim import pkg_resources, which setuptools 82 removed.
say "installing the OpenMMLab stack, test dependencies and mmtnt"
$PIP install -qq "setuptools>=77.0.3,<82" -r requirements/runtime.txt -r requirements/tests.txt -r requirements/optional.txt \
  -r requirements/mim.txt -r requirements/deploy.txt \
  || die "installing the Python dependencies failed (see pip's message above)." "check the registry is reachable, then run again."
# Editable: setup.py links configs/, tools/ and model-index.yml into mmtnt/.mim for mmengine and mim.
$PIP install -qq --no-deps --no-build-isolation -e . || die "installing mmtnt itself failed." "run '$PIP install -e .' to see why."
# mmengine (`mmtnt::` configs) and mim look for an installed package, and its .mim, in
# site-packages/mmtnt; an editable install keeps the package in the checkout, so link it there.
site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
{ [ -L "$site/mmtnt" ] || [ ! -e "$site/mmtnt" ]; } && ln -sfn "$ROOT/mmtnt" "$site/mmtnt"

# 6. checks. mmcv's ops need mmengine, so they run only now: on CPU, and where nvidia-smi lists
#    GPUs, NMS and RoIAlign on the GPU, or one line that says why not (tools/misc/check_stack.py).
"$VENV/bin/python" - <<'EOF' || die "the installed stack does not import (message above)." "delete $VENV and run $0 again."
import mmcv, mmcv.ops, mmengine, mmpretrain, mmdet, mmseg, torch, torchvision, mmtnt
print(f"[setup] torch {torch.__version__}, mmcv {mmcv.__version__} (ops), mmengine {mmengine.__version__}, "
      f"mmpretrain {mmpretrain.__version__}, mmdet {mmdet.__version__}, mmseg {mmseg.__version__}, mmtnt {mmtnt.__version__}")
EOF
check=$("$VENV/bin/python" tools/misc/check_stack.py --cuda "$MMTNT_CUDA_OPS" 2>&1) || {
  echo "$check" | tail -n 1 | sed 's/^/[setup] /' >&2; exit 1; }
say "$check"
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
import mmtnt.ops  # the stack's own import-time warnings (torch 2.10: torch.jit) are not the kernel's
warnings.simplefilter("error")
from mmtnt.ops import fused_inner_available
assert fused_inner_available()
print("[setup] fused inner transformer built (mmtnt.ops)")
EOF
echo "$want" > "$STAMP"
say "done: $VENV"
