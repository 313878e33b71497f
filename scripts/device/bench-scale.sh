#!/usr/bin/env bash
# Issue 3's --jobs scaling on the GPU machine's 16 cores (cc and nvcc are there). On the CPU machine:
#   scripts/device/pack.sh, then copy model.onnx of each model below into .carry/models-src/<same folder>/
#   (the 64 MiB carry leaves room for these twelve: the nine onnx-light networks plus mlp, squeezenet1_1 and
#   mobilenet_v2; gpt2_tiny and bert_small add 21 MB of weights and do not fit beside Node and node_modules)
# then on the GPU machine (device tool, carry [".carry"]):  bash scripts/device/bench-scale.sh
# Optional: REPS=2, JOBS_LIST=1,16, THREADS_LIST=16,8,4 (each --jobs N with --threads T ≤ N), PROFILES=DIR (--profile files).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/device/unpack.sh
nproc
MODELS=mlp,squeezenet1_1,mobilenet_v2,onnx-light/bvlc_alexnet,onnx-light/densenet121,onnx-light/inception_v1,onnx-light/inception_v2,onnx-light/resnet50,onnx-light/shufflenet,onnx-light/squeezenet,onnx-light/vgg19,onnx-light/zfnet512
node bench/build.mjs --only scale --models "$PWD/.carry/models-src" --model-list "$MODELS" \
  --targets cpu,cuda --min-jobs 16 --scale-reps ${REPS:-1} --jobs-list ${JOBS_LIST:-1,2,4,8,16} \
  ${THREADS_LIST:+--threads-list "$THREADS_LIST"} ${PROFILES:+--profile-dir "$PROFILES"} --out "${OUT:-/tmp}/scale16.json" --md "${OUT:-/tmp}/scale16.md"
