#!/usr/bin/env bash
# Where a fully cold `relax build --jobs N` spends its first second, on the GPU machine (device tool, carry
# [".carry"]; models as for bench-scale.sh). Patches timestamp markers into a copy of dist/ (main thread: build
# phases; worker threads: thread start, compiler loaded), then runs the 24-job scale build cold, twice per N.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/device/unpack.sh
P=/tmp/probe-startup; rm -rf $P; mkdir -p $P; cp -r bin dist package.json $P/; ln -s "$PWD/node_modules" $P/node_modules
node - "$P" <<'JS'
const fs = require('fs'); const P = process.argv[2];
const log = "process.getBuiltinModule('fs').appendFileSync('/tmp/probe-startup.log', ";
let b = fs.readFileSync(`${P}/dist/scheduler/build.js`, 'utf8');
const mark = (k) => `${log}'main ${k} '+Date.now()+'\\n');`;
b = b.replace('const found = discoverConfig(', `${mark('build')}const found = discoverConfig(`)
  .replace('let pool;', `${mark('compilerId')}let pool;`)
  .replace('const { config, jobs } = await prepareBuild(options);', `${mark('warmed')}const { config, jobs } = await prepareBuild(options);${mark('planned')}`)
  .replace('const config = await loadConfig(', `${mark('imported')}const config = await loadConfig(`)
  .replace('const jobs = planJobs(', `${mark('configLoaded')}const jobs = planJobs(`)
  .replace('const cache = new BuildCache(cacheDir);', `${mark('probed')}const cache = new BuildCache(cacheDir);`);
fs.writeFileSync(`${P}/dist/scheduler/build.js`, b);
let w = fs.readFileSync(`${P}/dist/scheduler/worker.js`, 'utf8');
w = w.replace('loadCompile().catch(() => undefined);', `const __t = Date.now(); loadCompile().then(() => ${log}'worker start '+__t+' loaded '+Date.now()+'\\n')).catch(() => undefined);`);
fs.writeFileSync(`${P}/dist/scheduler/worker.js`, w);
JS
MODELS=mlp,squeezenet1_1,mobilenet_v2,onnx-light/bvlc_alexnet,onnx-light/densenet121,onnx-light/inception_v1,onnx-light/inception_v2,onnx-light/resnet50,onnx-light/shufflenet,onnx-light/squeezenet,onnx-light/vgg19,onnx-light/zfnet512
D=/tmp/probe-proj; rm -rf $D; mkdir -p $D; echo '{"name":"probe","private":true}' > $D/package.json
node -e '
const ms = process.argv[1].split(","); const m = {};
for (const x of ms) m[x.split("/").pop()] = { source: process.cwd() + "/.carry/models-src/" + x + "/model.onnx", targets: ["cpu", { kind: "cuda", arch: "sm_90" }] };
require("fs").writeFileSync(process.argv[2] + "/relax.config.ts", "import { defineConfig } from \"relax\";\nexport default defineConfig(" + JSON.stringify({ outDir: "dist", cacheDir: ".relax-cache", models: m, targets: ["cpu"] }) + ");\n");' "$MODELS" $D
for N in ${JOBS_LIST:-16 1}; do for rep in 1 2; do
  rm -rf $D/.relax-cache $D/dist $D/node_modules /tmp/probe-startup.log
  S=$(date +%s%3N)
  (cd $D && node $P/bin/relax.js build --json --force --jobs $N > /tmp/probe-events.ndjson)
  E=$(date +%s%3N)
  echo "== --jobs $N rep $rep: wall $((E - S)) ms"
  node -e '
const S = Number(process.argv[1]); const lines = require("fs").readFileSync("/tmp/probe-startup.log", "utf8").trim().split("\n");
const main = lines.filter((l) => l.startsWith("main")).map((l) => { const [, k, t] = l.split(" "); return `${k} ${Number(t) - S}`; });
console.log("main:", main.join(", "));
const w = lines.filter((l) => l.startsWith("worker")).map((l) => { const p = l.split(" "); return [Number(p[2]) - S, Number(p[4]) - S]; }).sort((a, b) => a[0] - b[0]);
console.log("workers (start→loaded):", w.map(([a, b]) => `${a}→${b}`).join(" "));
const ev = require("fs").readFileSync("/tmp/probe-events.ndjson", "utf8").trim().split("\n").map(JSON.parse).filter((e) => e.event === "job-done");
const load = ev.map((e) => e.phases?.load).filter((x) => x != null);
console.log("job load waits:", load.map(Math.round).join(","), " longest:", ev.sort((a, b) => b.ms - a.ms).slice(0, 3).map((e) => `${e.model}:${e.target} ${Math.round(e.ms)} ${JSON.stringify(e.phases)}`).join(" | "));
' "$S"
done; done
