#!/usr/bin/env bash
# CPU time (user+sys of the relax process, not the compilers it runs) of a cold build of the 24 scaling jobs
# (bench-scale.sh's models in .carry/models-src) at --jobs 1 and 16. On the GPU machine: bash scripts/device/probe-cputime.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/device/unpack.sh 2>/dev/null
P=$(mktemp -d); M="$PWD/.carry/models-src"
node -e '
const m=process.argv[1]; const names={mlp:"mlp",squeezenet1_1:"squeezenet1_1",mobilenet_v2:"mobilenet_v2"};
for (const n of ["bvlc_alexnet","densenet121","inception_v1","inception_v2","resnet50","shufflenet","squeezenet","vgg19","zfnet512"]) names[n]="onnx-light/"+n;
const models=Object.fromEntries(Object.entries(names).map(([k,v])=>[k,{source:m+"/"+v+"/model.onnx",targets:["cpu",{kind:"cuda",arch:"sm_90"}]}]));
require("fs").writeFileSync(process.argv[2]+"/relax.config.json", JSON.stringify({outDir:"dist",cacheDir:".c",models}));
echo' "$M" "$P"
echo '{"name":"p","private":true}' > $P/package.json
for v in "1|" "16|" "16|--max-semi-space-size=64"; do
  j=${v%%|*}; o=${v#*|}
  rm -rf $P/dist $P/.c $P/node_modules
  (cd $P && NODE_OPTIONS="$o" /usr/bin/time -f "jobs $j opts '$o': wall %e s user %U s sys %S s" node $OLDPWD/bin/relax.js build --jobs $j >/dev/null) 2>&1 | tail -1
done
