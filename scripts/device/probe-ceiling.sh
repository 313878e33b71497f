#!/usr/bin/env bash
# The machine's own ceiling on parallel efficiency: how much slower is one cc compile when N identical ones run at
# once? Needs a large C source at .carry/probe/kernels.c (e.g. dist/densenet121/cpu/kernels.c of a densenet121
# build). On the GPU machine (device tool, carry [".carry"]): bash scripts/device/probe-ceiling.sh
cd "$(dirname "$0")/../../.carry/probe"
lscpu | grep -E "Model name|Thread|Core|Socket|L3"
for n in 1 2 4 8 16; do
  s=$(date +%s%N)
  for i in $(seq "$n"); do cc -std=gnu11 -O2 -fwrapv -fPIC -c -o "/tmp/k$i.o" kernels.c & done; wait
  echo "parallel $n: $(( ($(date +%s%N) - s) / 1000000 )) ms"
done
