#!/usr/bin/env bash
# Issue 4's device check: the shared models built for cuda (sm_90), run on the GPU machine's CUDA device and
# compared with their test_data_set_0/output_0.pb (rtol 1e-3, atol 1e-4).
#
# On the CPU machine:   scripts/device/models-cuda.sh prepare [GROUP|MODEL...]
#   GROUP: all (default: mlp mobilenet_v2 squeezenet1_1 gpt2_tiny bert_small), cnn (mlp mobilenet_v2
#   squeezenet1_1) or transformer (gpt2_tiny bert_small); a MODEL may be a folder under ../shared/models such as
#   onnx-light/densenet121 (packed as densenet121). Builds them for cuda and packs each artifact with its
#   input_0.pb / output_0.pb as .carry/models/<model>.tar.xz (replacing what an earlier prepare put there), plus
#   Node and the runtime's node_modules (pack.sh). The travelling tree is capped at 64 MiB: Node and node_modules
#   take ~27 MB and the five models' weights ~48 MB of random float32 (xz saves ~10%), so all five do not fit in
#   one call; prepare stops with the sizes when .carry/ is over 60 MiB. Run `prepare cnn` and `prepare
#   transformer` (one device call each) then.
# On the GPU machine (device tool, carry [".carry"]):   bash scripts/device/models-cuda.sh run
#   prints one JSON line per model (compare.mjs's, with the model and run time added), and one more at twice the stored batch
#   (against onnxruntime-node) for models whose batch dim is symbolic; exit 1 if any failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
ALL=(mlp mobilenet_v2 squeezenet1_1 gpt2_tiny bert_small)

if [ "${1:-}" = prepare ]; then
  shift
  case "${1:-all}" in
    all) models=("${ALL[@]}") ;;
    cnn) models=(mlp mobilenet_v2 squeezenet1_1) ;;
    transformer) models=(gpt2_tiny bert_small) ;;
    *) models=("$@") ;;
  esac
  shared=$(realpath ../shared/models)
  for m in "${models[@]}"; do [ -f "$shared/$m/model.onnx" ] || { echo "no model $shared/$m/model.onnx" >&2; exit 2; }; done
  scripts/device/pack.sh >/dev/null
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  {
    printf '{"outDir":"dist","targets":[{"kind":"cuda","arch":"sm_90"}],"models":{'
    sep=''
    for m in "${models[@]}"; do printf '%s"%s":"%s"' "$sep" "${m##*/}" "$shared/$m/model.onnx"; sep=','; done
    printf '}}\n'
  } > "$tmp/relax.config.json"
  (cd "$tmp" && node "$OLDPWD/bin/relax.js" build --force)
  rm -rf .carry/models && mkdir -p .carry/models
  for m in "${models[@]}"; do
    n=${m##*/} # onnx-light/densenet121 is the model densenet121
    mkdir -p "$tmp/pack/$n"
    cp -r "$tmp/dist/$n/cuda" "$tmp/pack/$n/cuda"
    cp "$shared/$m/test_data_set_0/input_0.pb" "$shared/$m/test_data_set_0/output_0.pb" "$tmp/pack/$n/"
    node scripts/device/second-size.mjs "$shared/$m/model.onnx" "$tmp/dist/$n/cuda" "$tmp/pack/$n"
    tar -cf - -C "$tmp/pack" "$n" | xz -T2 -6 > ".carry/models/$n.tar.xz"
  done
  du -ab .carry | sort -n | tail -n 12
  total=$(du -sb .carry | cut -f1)
  echo "carry: $total bytes for ${models[*]}"
  if [ "$total" -gt $((60 << 20)) ]; then
    echo "over 60 MiB: the device tool carries at most 64 MiB with the working tree; prepare fewer models (cnn, then transformer) or remove stale entries from .carry/" >&2
    exit 1
  fi
  exit 0
fi

[ "${1:-}" = run ] || { echo "usage: $0 prepare [all|cnn|transformer|MODEL...] | run" >&2; exit 2; }
source scripts/device/unpack.sh
work=$(mktemp -d)
out=${OUT:-$work}
failed=0
for f in .carry/models/*.tar.xz; do
  m=$(basename "$f" .tar.xz)
  tar -xJf "$f" -C "$work"
  start=$(date +%s%N)
  if ! log=$(node bin/relax.js run "$work/$m/cuda" --input "$work/$m/input_0.pb" --out "$work/out-$m" --device cuda 2>&1); then
    printf '{"model":"%s","error":%s}\n' "$m" "$(printf '%s' "$log" | tail -c 2000 | node -e 'process.stdout.write(JSON.stringify(require("fs").readFileSync(0,"utf8")))')"
    failed=1
    continue
  fi
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  if line=$(node scripts/device/compare.mjs "$work/out-$m/output_0.pb" "$work/$m/output_0.pb"); then ok=true; else ok=false; failed=1; fi
  printf '{"model":"%s","ok":%s,"cliMs":%s,%s\n' "$m" "$ok" "$ms" "${line#\{}"
  if [ -f "$work/$m/input_b2.pb" ]; then
    # The same artifact at twice the batch, against onnxruntime-node's output for that input (made by prepare).
    if node bin/relax.js run "$work/$m/cuda" --input "$work/$m/input_b2.pb" --out "$work/out-$m-b2" --device cuda >/dev/null 2>&1 \
      && line=$(node scripts/device/compare.mjs "$work/out-$m-b2/output_0.pb" "$work/$m/output_b2.pb"); then ok=true; else ok=false; failed=1; line='{}'; fi
    printf '{"model":"%s","size":"2x batch","ok":%s,%s\n' "$m" "$ok" "${line#\{}"
  fi
done
[ "$out" = "$work" ] || cp -r "$work"/out-* "$out"/ 2>/dev/null || true
exit $failed
