#!/usr/bin/env bash
# The main job (README): export the digits, train, test, and classify images with the API.
#   bash tools/demo.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-work_dirs/demo}
PY=${PY:-.venv/bin/python}
CONFIG=configs/tnt/tnt-mini-p8_1xb64-100e_digits.py

"$PY" tools/dataset_converters/digits_to_imagenet.py data/digits
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK"
CKPT=$(ls "$WORK"/best_accuracy_top1_epoch_*.pth | tail -n 1)
"$PY" tools/test.py "$CONFIG" "$CKPT" --work-dir "$WORK/test" --out "$WORK/test/predictions.pkl" \
  | tee "$WORK/test.log"
"$PY" tools/demo_inference.py "$CONFIG" "$CKPT"
echo "held-out top-1 ($(wc -l < data/digits/meta/val.txt) images, $CKPT):" \
  "$(grep -o 'accuracy/top1: [0-9.]*' "$WORK/test.log" | tail -n 1 | cut -d' ' -f2)%"
