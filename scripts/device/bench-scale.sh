#!/usr/bin/env bash
# Issue 3's --jobs scaling on the GPU machine's 16 cores (cc and nvcc are there). On the CPU machine:
#   scripts/device/pack.sh && mkdir -p .carry/models-src/M && cp ../shared/models/M/model.onnx .carry/models-src/M/  (M = mlp, squeezenet1_1, mobilenet_v2)
# then on the GPU machine (device tool, carry [".carry"]):  bash scripts/device/bench-scale.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/device/unpack.sh
nproc
node bench/build.mjs --only cold,scale --models "$PWD/.carry/models-src" --model-list mlp,squeezenet1_1,mobilenet_v2 \
  --targets cpu,cuda --min-jobs 32 --jobs-list 1,2,4,8,16 --out "${OUT:-/tmp}/scale16.json" --md "${OUT:-/tmp}/scale16.md"
