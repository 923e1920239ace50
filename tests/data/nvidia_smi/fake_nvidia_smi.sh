#!/bin/sh
# nvidia-smi from a recorded folder ($FAKE_NVIDIA_SMI); see README.md.
D=$FAKE_NVIDIA_SMI
if [ -f "$D/no_devices" ]; then cat "$D/nvidia-smi.txt"; exit 6; fi
case "$*" in
  *compute_cap*)
    if [ -f "$D/no_compute_cap" ]; then
      echo 'Field "compute_cap" is not a valid field to query.'; exit 2
    fi
    cat "$D/query.csv" ;;
  *--query-gpu*) cut -d, -f1-3 "$D/query.csv" ;;
  *) cat "$D/nvidia-smi.txt" ;;
esac
