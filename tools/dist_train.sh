#!/usr/bin/env bash
# tools/dist_train.sh CONFIG GPUS [train.py options]   (one node; NNODES/NODE_RANK/MASTER_ADDR for more)
# On a machine without GPUs, GPUS processes train on CPU with the gloo backend; on a machine with
# GPUs that CUDA cannot use, it stops with one line (--device cpu to run on CPU anyway).
set -e
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
DIR=$(dirname "$0")
# PYTHON=..., else the active virtualenv or conda environment, else the checkout's .venv.
. "$DIR/python_for_tools.sh"

PYTHONPATH="$DIR/..":$PYTHONPATH \
"$PYTHON" -m torch.distributed.run \
    --nnodes=$NNODES --node_rank=$NODE_RANK --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS --master_port=$PORT \
    "$DIR/train.py" "$CONFIG" --launcher pytorch "${@:3}"
