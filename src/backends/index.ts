/** The compiler-side backend registry (the runtime imports only backends/<kind>/device.ts). */
import type { TargetKind } from '../formats/manifest.js';
import { cpuBackend } from './cpu/index.js';
import { cudaBackend } from './cuda/index.js';
import type { CompilerBackend } from './types.js';
import { webgpuBackend } from './webgpu/index.js';

const BACKENDS: Readonly<Record<TargetKind, CompilerBackend>> = { cpu: cpuBackend, cuda: cudaBackend, webgpu: webgpuBackend };

export function getBackend(kind: TargetKind): CompilerBackend {
  return BACKENDS[kind];
}
