#!/usr/bin/env bash
# Runs the reduction / normalization e2e models (test/e2e/reduce-norm.test.ts) on the GPU machine's CUDA device.
# On the CPU machine:  scripts/device/reduce-norm-cuda.sh prepare   (builds, packs into .carry/)
# On the GPU machine (device tool, carry [".carry"]):  bash scripts/device/reduce-norm-cuda.sh run
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${1:-}" = prepare ]; then
  scripts/device/pack.sh
  rm -rf .carry/red && mkdir -p .carry/red
  RELAX_E2E_DIR=$PWD/.carry/red-build CI=true npx vitest run test/e2e/reduce-norm.test.ts -t "builds both"
  node -e '
    const fs = require("fs"), path = require("path");
    const run = JSON.parse(fs.readFileSync(".carry/red-build/run.json", "utf8"));
    const out = {};
    for (const [g, m] of Object.entries(run)) {
      fs.cpSync(`.carry/red-build/dist/${g}/cuda`, `.carry/red/${g}`, { recursive: true });
      fs.mkdirSync(`.carry/red/${g}-data`, { recursive: true });
      out[g] = {
        inputs: m.inputs.map((i, k) => { const f = `.carry/red/${g}-data/in${k}.pb`; fs.copyFileSync(i.file, f); return { name: i.name, file: f }; }),
        outputs: m.outputs.map((o, k) => { const f = `.carry/red/${g}-data/out${k}.pb`; fs.copyFileSync(o, f); return f; }),
      };
    }
    fs.writeFileSync(".carry/red/run.json", JSON.stringify(out));'
  rm -rf .carry/red-build
  exit 0
fi
source scripts/device/unpack.sh
nvidia-smi --query-gpu=name --format=csv,noheader
status=0
for g in $(node -e 'console.log(Object.keys(require("./.carry/red/run.json")).join(" "))'); do
  args=$(node -e "console.log(require('./.carry/red/run.json')['$g'].inputs.map((i) => '--input ' + i.name + '=' + i.file).join(' '))")
  node bin/relax.js run ".carry/red/$g" $args --out "/tmp/red-$g" --device cuda || { status=1; continue; }
  i=0
  for f in $(node -e "console.log(require('./.carry/red/run.json')['$g'].outputs.join(' '))"); do
    echo -n "$g output_$i: "; node scripts/device/compare.mjs "/tmp/red-$g/output_$i.pb" "$f" || status=1
    i=$((i+1))
  done
done
exit $status
