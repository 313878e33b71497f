#!/usr/bin/env bash
# Issue 2's device check. On the CPU machine: build ../shared/models/mlp for cuda (sm_90) and pack:
#   scripts/device/mlp-cuda.sh prepare
# Then on the GPU machine (device tool, carry [".carry"]):  bash scripts/device/mlp-cuda.sh run
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${1:-}" = prepare ]; then
  scripts/device/pack.sh
  tmp=$(mktemp -d)
  printf '{"outDir":"dist","models":{"mlp":"%s"},"targets":[{"kind":"cuda","arch":"sm_90"}]}\n' "$(realpath ../shared/models/mlp/model.onnx)" > "$tmp/relax.config.json"
  (cd "$tmp" && node "$OLDPWD/bin/relax.js" build --force)
  rm -rf .carry/mlp-cuda && cp -r "$tmp/dist/mlp/cuda" .carry/mlp-cuda
  cp ../shared/models/mlp/test_data_set_0/input_0.pb ../shared/models/mlp/test_data_set_0/output_0.pb .carry/
  exit 0
fi
source scripts/device/unpack.sh
node bin/relax.js run .carry/mlp-cuda --input x=.carry/input_0.pb --out "${OUT:-/tmp}/mlp-out" --device cuda
node scripts/device/compare.mjs "${OUT:-/tmp}/mlp-out/output_0.pb" .carry/output_0.pb
