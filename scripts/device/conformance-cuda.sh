#!/usr/bin/env bash
# The ONNX node conformance suite on the GPU machine's CUDA device. On the CPU machine (nvcc builds the cubins):
#   scripts/device/conformance-cuda.sh prepare
# then on the GPU machine (device tool, carry [".carry"]):  bash scripts/device/conformance-cuda.sh run
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${1:-}" = prepare ]; then
  scripts/device/pack.sh
  [ -f .carry/conf-cuda/build.json ] || node scripts/conformance.mjs --target cuda --build-only --work .carry/conf-cuda
  rm -rf .carry/conf-cuda/cache .carry/conf-cuda/node_modules .carry/conf-cuda/out
  tar -C .carry -cf - conf-cuda | xz -T2 -6 > .carry/conf-cuda.tar.xz
  tar -C ../shared/conformance -cf - onnx-node | xz -T2 -6 > .carry/suite.tar.xz
  rm -rf .carry/conf-cuda
  ls -la .carry
  exit 0
fi
source scripts/device/unpack.sh
mkdir -p /tmp/relax-conf && tar -C /tmp/relax-conf -xJf .carry/conf-cuda.tar.xz && tar -C /tmp/relax-conf -xJf .carry/suite.tar.xz
node scripts/conformance.mjs --target cuda --run-only --work /tmp/relax-conf/conf-cuda --suite /tmp/relax-conf/onnx-node \
  --md "${OUT:-/tmp}/conformance-cuda.md" --json "${OUT:-/tmp}/conformance-cuda.json" --min 98
