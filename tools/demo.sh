#!/usr/bin/env bash
# The main job (README): export the digits, train, test, and classify images with the API.
#   bash tools/demo.sh [WORK_DIR]
# Prints one line per step and the validation accuracy every 10 epochs; the tools' full logs go to
# WORK_DIR/{train,test}.log. EPOCHS=N trains N epochs instead of the config's 100 (a quick look).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-work_dirs/demo}
PY=${PY:-.venv/bin/python}
CONFIG=configs/tnt/tnt-mini-p8_1xb64-100e_digits.py
OPTS=()
if [ -n "${EPOCHS:-}" ]; then
  OPTS=(--cfg-options "train_cfg.max_epochs=$EPOCHS" "train_cfg.val_interval=1")
fi
mkdir -p "$WORK"

echo "[1/4] exporting scikit-learn's handwritten digits in ImageNet's layout to data/digits"
"$PY" tools/dataset_converters/digits_to_imagenet.py data/digits | sed 's/^/      /'

echo "[2/4] training a small TNT from scratch ($CONFIG; log: $WORK/train.log)"
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK" "${OPTS[@]}" 2>&1 | tee "$WORK/train.log" | awk '
  /Epoch\(val\)/ { match($0, /Epoch\(val\) \[[0-9]+\]/); e = substr($0, RSTART + 12, RLENGTH - 13)
                   match($0, /accuracy\/top1: [0-9.]+/); a = substr($0, RSTART + 15, RLENGTH - 15)
                   printf "      epoch %3d: validation top-1 %s%%\n", e, a; fflush() }
  /Error|error:/ { print; fflush() }'
CKPT=$(ls "$WORK"/best_accuracy_top1_epoch_*.pth | tail -n 1)

echo "[3/4] testing $CKPT on the held-out 20% (log: $WORK/test.log)"
"$PY" tools/test.py "$CONFIG" "$CKPT" --work-dir "$WORK/test" --out "$WORK/test/predictions.pkl" \
  > "$WORK/test.log" 2>&1 || { tail -n 20 "$WORK/test.log"; exit 1; }
echo "      held-out top-1 ($(wc -l < data/digits/meta/val.txt) images):" \
  "$(grep -o 'accuracy/top1: [0-9.]*' "$WORK/test.log" | tail -n 1 | cut -d' ' -f2)%"

echo "[4/4] classifying digits and a photograph with the Python API (mmtnt.apis)"
"$PY" tools/demo_inference.py "$CONFIG" "$CKPT" | sed 's/^/      /'
