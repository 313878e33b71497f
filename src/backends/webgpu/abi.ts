/**
 * The webgpu kernel ABI details shared by codegen (compiler side), the build-time validator and the runtime
 * device. Runtime-safe: imports only the artifact formats.
 *
 * - Param i of a kernel is `@group(0) @binding(i)`: `var<storage, read>` when its access is 'read',
 *   `var<storage, read_write>` otherwise. Every buffer keeps the host tensor's byte layout, so the runtime moves
 *   bytes unchanged for every dtype (the table is in ./dtypes.ts): f32/i32/u32 (and f16 with shader-f16) are
 *   native; int64/uint64 are `array<vec2<u32>>` (low word first); bool, int8, uint8 (1 byte), int16, uint16,
 *   bfloat16 and float16 without shader-f16 (2 bytes) are packed into `array<u32>` words (written buffers use
 *   `array<atomic<u32>>` so neighbouring lanes written by different invocations never race); float64 is
 *   rejected at build time.
 * - When `hasUniform(kernel)`, binding `params.length` is a uniform `array<vec4<u32>, uniformVec4s(kernel)>`
 *   holding the vars (i32 bits) followed by the evaluated grid [gx, gy, gz].
 * - Dispatch of grid [gx, gy, gz] is (x, ceil(gx / x) * gy, gz) with x = min(gx, maxWorkgroupsPerDim): kernels
 *   recover blockIdx.x = wid.x + (wid.y % fy) * x and blockIdx.y = wid.y / fy with fy = ceil(gx / x), and the
 *   whole workgroup returns when blockIdx.x >= gx.
 * - Tensor views are bound at their byte offset; offsets must be multiples of STORAGE_OFFSET_ALIGNMENT (the
 *   memory planner aligns every tensor in a storage to it).
 * - kernels.wgsl is a prelude (enables, helper functions) followed by one section per kernel, each opened by a
 *   `// ---- kernel <name>` line (kernelHeader) and holding everything that kernel declares. A pipeline is created
 *   from the prelude plus its kernel's section (kernelSources): Dawn runs Tint over the whole module it is given
 *   for every pipeline, so one module for all kernels made loading quadratic in the kernel count.
 */
import type { KernelInfo } from '../../formats/manifest.js';
import { evalShapeExpr, type ShapeExpr } from '../../formats/vm.js';

/** WebGPU's default (and largest portable) minStorageBufferOffsetAlignment. */
export const STORAGE_OFFSET_ALIGNMENT = 256;
export const WGSL_FILE = 'kernels.wgsl';

const KERNEL_HEADER = '// ---- kernel ';

/** The line that opens a kernel's section in kernels.wgsl. */
export function kernelHeader(name: string, scheduledBy?: string): string {
  return `${KERNEL_HEADER}${name}${scheduledBy ? ` (scheduled by ${scheduledBy})` : ''}`;
}

/**
 * Each kernel's own WGSL: the prelude plus its section (kernel name -> code). Kernels without a section (a file
 * not laid out by kernelHeader) are absent: use the whole file for those.
 */
export function kernelSources(code: string): Map<string, string> {
  const lines = code.split('\n');
  const starts: { name: string; line: number }[] = [];
  lines.forEach((l, i) => {
    if (l.startsWith(KERNEL_HEADER)) starts.push({ name: l.slice(KERNEL_HEADER.length).split(' ')[0]!, line: i });
  });
  const out = new Map<string, string>();
  if (starts.length === 0) return out;
  const prelude = lines.slice(0, starts[0]!.line).join('\n');
  starts.forEach((s, i) => {
    out.set(s.name, `${prelude}\n${lines.slice(s.line, starts[i + 1]?.line ?? lines.length).join('\n')}\n`);
  });
  return out;
}

export function padTo3(xs: readonly number[]): [number, number, number] {
  return [xs[0] ?? 1, xs[1] ?? 1, xs[2] ?? 1];
}

/** True when the kernel reads a uniform block (vars or a symbolic grid extent). */
export function hasUniform(k: Pick<KernelInfo, 'vars' | 'launch'>): boolean {
  return k.vars.length > 0 || (k.launch?.grid ?? []).some((g) => typeof g !== 'number');
}

/** Number of vec4<u32> slots of the uniform: vars then [gx, gy, gz]. */
export function uniformVec4s(k: Pick<KernelInfo, 'vars'>): number {
  return Math.ceil((k.vars.length + 3) / 4);
}

/** Evaluates a kernel's grid (padded to 3) from its vars; `grid` from the VM wins when given. */
export function evalGrid(k: KernelInfo, vars: readonly number[], grid?: readonly number[]): [number, number, number] {
  if (grid && grid.length > 0) return padTo3(grid);
  const env = new Map<string, number>(k.vars.map((v, i) => [v, vars[i]!]));
  const g: readonly ShapeExpr[] = k.launch?.grid ?? [1];
  return padTo3(g.map((e) => evalShapeExpr(e, env)));
}

/** Uniform contents: vars as i32 bits, then the grid, padded to whole vec4s. */
export function uniformData(k: KernelInfo, vars: readonly number[], grid: readonly [number, number, number]): Uint32Array {
  const out = new Uint32Array(uniformVec4s(k) * 4);
  const i32 = new Int32Array(out.buffer);
  k.vars.forEach((_, i) => { i32[i] = vars[i]! | 0; });
  out.set(grid, k.vars.length);
  return out;
}

/** Workgroup counts to dispatch for a grid, folding a large x into y. */
export function dispatchSize(grid: readonly [number, number, number], maxPerDim: number): [number, number, number] {
  const [gx, gy, gz] = grid;
  if (gx === 0 || gy === 0 || gz === 0) return [0, 0, 0];
  const x = Math.min(gx, maxPerDim);
  const y = Math.ceil(gx / x) * gy;
  if (y > maxPerDim || gz > maxPerDim) {
    throw new Error(`webgpu: grid [${grid.join(', ')}] needs ${y} x ${gz} workgroups, above maxComputeWorkgroupsPerDimension ${maxPerDim}`);
  }
  return [x, y, gz];
}

/** Bind group layout entries a kernel's pipeline uses (explicit, so unused params still bind). */
export function layoutEntries(k: KernelInfo): { binding: number; type: 'read-only-storage' | 'storage' | 'uniform' }[] {
  const entries: { binding: number; type: 'read-only-storage' | 'storage' | 'uniform' }[] = k.params.map((p, i) => ({
    binding: i,
    type: p.access === 'read' ? 'read-only-storage' : 'storage',
  }));
  if (hasUniform(k)) entries.push({ binding: k.params.length, type: 'uniform' });
  return entries;
}

/** Limits an artifact needs from a device, from its kernels' launch geometry and params. */
export interface WebGpuNeeds {
  readonly maxComputeInvocationsPerWorkgroup: number;
  readonly maxComputeWorkgroupSizeX: number;
  readonly maxComputeWorkgroupSizeY: number;
  readonly maxComputeWorkgroupSizeZ: number;
  readonly maxStorageBuffersPerShaderStage: number;
}

export function needsOf(kernels: readonly KernelInfo[]): WebGpuNeeds {
  let inv = 1, x = 1, y = 1, z = 1, sb = 0;
  for (const k of kernels) {
    const [bx, by, bz] = padTo3(k.launch?.block ?? [1]);
    inv = Math.max(inv, bx * by * bz); x = Math.max(x, bx); y = Math.max(y, by); z = Math.max(z, bz);
    sb = Math.max(sb, k.params.length);
  }
  return {
    maxComputeInvocationsPerWorkgroup: inv, maxComputeWorkgroupSizeX: x, maxComputeWorkgroupSizeY: y,
    maxComputeWorkgroupSizeZ: z, maxStorageBuffersPerShaderStage: sb,
  };
}

/** Compute limits worth raising on a device; requested up to the adapter's maximum. */
export const COMPUTE_LIMITS = [
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ', 'maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage', 'maxStorageBufferBindingSize', 'maxBufferSize', 'maxUniformBufferBindingSize',
] as const;

/**
 * Limits to request: each compute limit raised to what `needs` asks (or, without needs, to the adapter's maximum),
 * never above the adapter's maximum.
 */
export function requiredLimitsFor(
  adapterLimits: Readonly<Record<string, number>>,
  needs?: Partial<Record<(typeof COMPUTE_LIMITS)[number], number>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of COMPUTE_LIMITS) {
    const max = adapterLimits[name];
    if (typeof max !== 'number') continue;
    const want = needs ? needs[name] : max;
    if (want !== undefined) out[name] = Math.min(max, want);
  }
  return out;
}
