/** Helpers for the webgpu backend tests: build TIR through the real schedule + codegen + Dawn, run on a device. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webgpuBackend } from '../../src/backends/webgpu/index.js';
import { createWebGpuDevice, webgpuAvailable, type WebGpuDevice } from '../../src/backends/webgpu/device.js';
import { buffer, compute, primFunc } from '../../src/compiler/ops/compute.js';
import { fallbackRule } from '../../src/compiler/schedule/gpu/fallback.js';
import { int } from '../../src/compiler/tir/expr.js';
import type { DType, Expr, PrimFunc } from '../../src/compiler/tir/types.js';
import { resolveTarget } from '../../src/config/targets.js';
import type { KernelInfo, Target } from '../../src/formats/manifest.js';
import { writeArtifact } from './fixtures-c.js';

export const webgpuTarget: Target = resolveTarget('webgpu');

export async function haveWebGpu(): Promise<boolean> {
  try {
    return await webgpuAvailable();
  } catch {
    return false;
  }
}

/** An elementwise kernel over n elements: out = fn(loads of the inputs at v). */
export function elementwise(
  name: string, n: number, inputs: readonly { name: string; dtype: DType }[], out: DType,
  fn: (x: readonly Expr[]) => Expr, origin?: string,
): PrimFunc {
  const shape = [int(n)];
  const ins = inputs.map((i) => buffer(i.name, i.dtype, shape));
  const O = buffer('O', out, shape);
  const body = compute(O, (v) => fn(ins.map((b) => ({ k: 'load', buffer: b.name, indices: v, dtype: b.dtype }))));
  return primFunc(name, ins, [O], [body], { pattern: 'elementwise', ...(origin ? { attrs: { origin: [origin] } } : {}) });
}

export interface Built {
  readonly dev: WebGpuDevice;
  readonly code: string;
  kernel(name: string): KernelInfo;
  /** Uploads inputs, runs the kernel, downloads the output bytes (its last param). */
  run(name: string, inputs: readonly ArrayBufferView[], outBytes: number): Promise<Uint8Array>;
}

/** Schedules with the Fallback GPU rule, generates and validates WGSL, loads it on a fresh device. */
export async function buildAndLoad(funcs: readonly PrimFunc[], target: Target = webgpuTarget): Promise<Built> {
  const scheduled = funcs.map((f) => (f.attrs.scheduledBy ? f : fallbackRule.apply(f, target)!));
  const res = await webgpuBackend.codegen(scheduled, target, { tmpDir: mkdtempSync(join(tmpdir(), 'relax-wgsl-')) });
  const { dir, manifest } = writeArtifact(res, target);
  const dev = await createWebGpuDevice({ manifest });
  await dev.loadKernels(dir, manifest);
  const kernel = (name: string) => {
    const k = res.kernels.find((x) => x.name === name);
    if (!k) throw new Error(`no kernel ${name}`);
    return k;
  };
  return {
    dev,
    code: new TextDecoder().decode(res.files[0]!.data),
    kernel,
    async run(name, inputs, outBytes) {
      const bufs = inputs.map((a) => {
        const b = dev.alloc(Math.max(4, a.byteLength));
        dev.upload(b, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
        return b;
      });
      const out = dev.alloc(Math.max(4, outBytes));
      // Garbage in the output proves every element is written (and no lane is left over from before).
      dev.upload(out, new Uint8Array(Math.ceil(Math.max(4, outBytes) / 4) * 4).fill(0xa5));
      dev.launch(kernel(name), [...bufs, out].map((buf) => ({ buf, offset: 0 })), []);
      await dev.sync();
      const bytes = await dev.download(out, 0, outBytes);
      for (const b of [...bufs, out]) dev.free(b);
      return bytes;
    },
  };
}

// ---- exact references ---------------------------------------------------------------------------------------

const roundHalfEven = (q: number): number => {
  const f = Math.floor(q), d = q - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
};

/**
 * Rounds a number to a binary float format with `mant` fraction bits, minimum normal exponent `emin` and
 * largest finite value `max` (round to nearest even; overflow to inf). Written with floating-point scaling, unlike
 * the bit-twiddling WGSL it checks.
 */
export function roundFloat(x: number, mant: number, emin: number, max: number): number {
  if (Number.isNaN(x) || !Number.isFinite(x) || x === 0) return x;
  const s = x < 0 ? -1 : 1, a = Math.abs(x);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  e = Math.max(e, emin);
  const ulp = 2 ** (e - mant);
  const r = roundHalfEven(a / ulp) * ulp;
  if (r > max) return s * Infinity;
  return s * r;
}
export const f16Round = (x: number) => roundFloat(x, 10, -14, 65504);
export const bf16Round = (x: number) => roundFloat(Math.fround(x), 7, -126, 3.3895313892515355e38);

/** BigInt -> nearest float32 (ties to even), exactly. */
export function bigToF32(x: bigint): number {
  const neg = x < 0n;
  let a = neg ? -x : x;
  const len = a.toString(2).length;
  if (len > 24) {
    const sh = BigInt(len - 24);
    const q = a >> sh, rem = a & ((1n << sh) - 1n), half = 1n << (sh - 1n);
    const up = rem > half || (rem === half && (q & 1n) === 1n);
    a = (q + (up ? 1n : 0n)) << sh;
  }
  const v = Number(a);
  return neg ? -v : v;
}
