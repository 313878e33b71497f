#!/usr/bin/env bash
# Packs what the GPU machine needs into .carry/ (it has no Node and no registry; see ../shared/DEVICE.md):
# a compressed Node binary and a pruned node_modules + dist tarball (koffi with only its linux-x64 binary,
# no dev tooling, no onnxruntime). Pass --webgpu to keep the webgpu package (linux-x64 only).
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .carry
npm run build:ts >/dev/null
[ -f .carry/node.xz ] || xz -T2 -6 -c "$(command -v node)" > .carry/node.xz
keep_webgpu=${1:-}
excl=(--exclude='node_modules/onnxruntime-*' --exclude='node_modules/typescript' --exclude='node_modules/@typescript'
  --exclude='node_modules/vitest' --exclude='node_modules/@vitest' --exclude='node_modules/vite' --exclude='node_modules/@rolldown'
  --exclude='node_modules/lightningcss*' --exclude='node_modules/@types' --exclude='node_modules/.cache'
  --exclude='node_modules/koffi/build/koffi/[!l]*' --exclude='node_modules/koffi/build/koffi/linux_[!x]*'
  --exclude='node_modules/koffi/src' --exclude='node_modules/koffi/vendor' --exclude='node_modules/turbo*' --exclude='node_modules/@turbo')
if [ "$keep_webgpu" = --webgpu ]; then excl+=(--exclude='node_modules/webgpu/dist/[!l]*' --exclude='node_modules/webgpu/dist/linux-[!x]*')
else excl+=(--exclude='node_modules/webgpu'); fi
tar -cf - "${excl[@]}" node_modules dist | xz -T2 -6 > .carry/nm.tar.xz
ls -la .carry
