/** Target resolution: short strings, objects with overrides, and preset tags become plain Target data. */
import type { Target, TargetAttrs, TargetKind } from '../formats/manifest.js';

const KEYS: Record<TargetKind, readonly string[]> = { cpu: ['cpu'], cuda: ['cuda', 'gpu'], webgpu: ['webgpu', 'gpu'] };

const BASE: Record<TargetKind, TargetAttrs> = {
  cpu: { maxThreadsPerBlock: 1, maxSharedMemoryBytes: 0, warpSize: 1, supportsInt64: true, supportsFloat64: true },
  // Generic CUDA defaults (every CUDA GPU since Kepler supports these).
  cuda: { arch: 'sm_90', maxThreadsPerBlock: 1024, maxSharedMemoryBytes: 48 * 1024, warpSize: 32, maxGridX: 2147483647, supportsInt64: true, supportsFloat64: true },
  // WebGPU portable limits in compatibility mode (the lowest common denominator: llvmpipe, old mobile GPUs).
  webgpu: {
    maxThreadsPerBlock: 128, maxSharedMemoryBytes: 16384, warpSize: 1, maxGridX: 65535,
    maxStorageBuffersPerStage: 8, maxStorageBufferBindingSize: 128 * 1024 * 1024, shaderF16: false,
    supportsInt64: true /* emulated: two u32 words per element */, supportsFloat64: false,
  },
};

/** Preset tags: facts about real devices. */
export const TARGET_TAGS: Readonly<Record<string, { kind: TargetKind; attrs: Partial<TargetAttrs> }>> = {
  'nvidia/h100': { kind: 'cuda', attrs: { arch: 'sm_90', maxThreadsPerBlock: 1024, maxSharedMemoryBytes: 48 * 1024, warpSize: 32 } },
  'nvidia/a100': { kind: 'cuda', attrs: { arch: 'sm_80', maxThreadsPerBlock: 1024, maxSharedMemoryBytes: 48 * 1024, warpSize: 32 } },
  'webgpu/core': { kind: 'webgpu', attrs: { maxThreadsPerBlock: 256 } },
  'webgpu/compat': { kind: 'webgpu', attrs: { maxThreadsPerBlock: 128 } },
};

export interface TargetInput {
  kind?: TargetKind;
  tag?: string;
  name?: string;
  arch?: string;
  maxThreadsPerBlock?: number;
  maxSharedMemoryBytes?: number;
  warpSize?: number;
  shaderF16?: boolean;
  maxStorageBuffersPerStage?: number;
}

export function isTargetKind(s: string): s is TargetKind {
  return s === 'cpu' || s === 'cuda' || s === 'webgpu';
}

/** Turns a validated config entry (string or object) into a Target. Unknown kinds/tags are caught by the schema. */
export function resolveTarget(input: string | TargetInput): Target {
  const obj: TargetInput = typeof input === 'string' ? (isTargetKind(input) ? { kind: input } : { tag: input }) : input;
  const preset = obj.tag ? TARGET_TAGS[obj.tag] : undefined;
  const kind: TargetKind = obj.kind ?? preset?.kind ?? 'cpu';
  const overrides: Partial<TargetAttrs> = {};
  for (const key of ['arch', 'maxThreadsPerBlock', 'maxSharedMemoryBytes', 'warpSize', 'shaderF16', 'maxStorageBuffersPerStage'] as const) {
    if (obj[key] !== undefined) (overrides as Record<string, unknown>)[key] = obj[key];
  }
  const attrs = sortKeys({ ...BASE[kind], ...preset?.attrs, ...overrides }) as TargetAttrs;
  const name = obj.name ?? kind;
  return { kind, name, keys: [...KEYS[kind]], attrs, ...(obj.tag ? { tag: obj.tag } : {}) };
}

function sortKeys<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1))) as T;
}
