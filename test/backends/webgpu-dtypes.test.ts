/**
 * WebGPU dtype emulation, on real kernels (Dawn; on CPU machines OpenGL ES on Mesa llvmpipe): exact int64/uint64
 * arithmetic through vec2<u32> pairs, 8/16-bit ints, bool, float16 and bfloat16 in packed u32 words written by many
 * invocations, casts between them, and the build-time rejection of float64. Kernels go through the real Fallback
 * schedule rule, WGSL codegen, Tint validation and the runtime device; ONNX models go through compile() and Session.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateWgsl } from '../../src/backends/webgpu/index.js';
import { validateWgsl } from '../../src/backends/webgpu/toolchain.js';
import { kernelSources } from '../../src/backends/webgpu/abi.js';
import { webgpuDType } from '../../src/backends/webgpu/dtypes.js';
import { compile } from '../../src/compiler/compile.js';
import { resolvePipeline } from '../../src/compiler/pipeline/resolve.js';
import { fallbackRule } from '../../src/compiler/schedule/gpu/fallback.js';
import { reductionRule } from '../../src/compiler/schedule/gpu/reduction.js';
import { buffer, primFunc, reduce } from '../../src/compiler/ops/compute.js';
import { bin, call, cast, cmp, int, select, add } from '../../src/compiler/tir/expr.js';
import type { BinOp, CmpOp, DType, Expr } from '../../src/compiler/tir/types.js';
import { isRelaxError } from '../../src/diagnostics/index.js';
import { halfToFloat, toNumbers, type HostTensor } from '../../src/formats/tensor.js';
import { Session } from '../../src/runtime/session.js';
import { buildModel } from '../frontend/onnx-builder.js';
import {
  bf16Round, bigToF32, buildAndLoad, elementwise, f16Round, haveWebGpu, webgpuTarget,
} from './webgpu-fixtures.js';

const available = await haveWebGpu();
if (!available && !process.env.CI) console.warn('skipping webgpu dtype tests: no WebGPU adapter (install the webgpu package and EGL/GLES or Vulkan; set CI=1 to make this a failure)');
const run = available || !!process.env.CI;

const M64 = (1n << 64n) - 1n;
const i64 = (x: bigint) => BigInt.asIntN(64, x);
const u64 = (x: bigint) => BigInt.asUintN(64, x);

/** A deterministic 64-bit generator (xorshift64*). */
function rng(seed: bigint) {
  let s = seed;
  return () => {
    s ^= s >> 12n; s ^= (s << 25n) & M64; s ^= s >> 27n;
    return (s * 0x2545f4914f6cdd1dn) & M64;
  };
}

// Hand-picked edge cases (beyond 2^32, negative, extremes), then random values of every magnitude.
const EDGE_A = [2n ** 40n + 5n, -(2n ** 35n) - 3n, 123456789012n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 4294967296n, 4294967295n,
  -4294967297n, 7n, -7n, 2n ** 62n + 12345n, 10n ** 15n, -98765432109876n, 3n, 0n, -(2n ** 63n), 2n ** 63n - 1n];
const EDGE_B = [-3n, 7n, 1000003n, 1n, -1n, 3n, 4294967296n, 2n, -(2n ** 33n), -2n, 2n, 123456789n, 2n ** 33n + 1n,
  1000000000n, -5n, 5n, -1n, 2n ** 63n - 1n];

function int64Inputs(n: number): { a: bigint[]; b: bigint[] } {
  const r = rng(0x9e3779b97f4a7c15n);
  const a = [...EDGE_A], b = [...EDGE_B];
  while (a.length < n) {
    const x = r(), y = r();
    const shiftA = x % 64n, shiftB = y % 64n;
    a.push(i64(r() >> shiftA) * (x & 1n ? -1n : 1n));
    b.push(i64(r() >> shiftB) * (y & 1n ? -1n : 1n) || 3n);
  }
  return { a, b };
}

const floorDiv = (a: bigint, b: bigint) => { if (b === 0n) return 0n; const q = a / b; return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q; };
const floorMod = (a: bigint, b: bigint) => { if (b === 0n) return 0n; const r = a % b; return r !== 0n && (r < 0n) !== (b < 0n) ? r + b : r; };

const I64_BIN: Record<string, (a: bigint, b: bigint) => bigint> = {
  add: (a, b) => i64(a + b), sub: (a, b) => i64(a - b), mul: (a, b) => i64(a * b),
  div: (a, b) => (b === 0n ? 0n : i64(a / b)), floordiv: (a, b) => i64(floorDiv(a, b)), floormod: floorMod,
  min: (a, b) => (a < b ? a : b), max: (a, b) => (a > b ? a : b),
  and: (a, b) => a & b, or: (a, b) => a | b, xor: (a, b) => a ^ b,
};
const CMP: Record<CmpOp, (a: bigint, b: bigint) => boolean> = {
  eq: (a, b) => a === b, ne: (a, b) => a !== b, lt: (a, b) => a < b, le: (a, b) => a <= b, gt: (a, b) => a > b, ge: (a, b) => a >= b,
};

describe.runIf(run)('webgpu: int64 and uint64 are exact', () => {
  const N = 1000;
  const { a, b } = int64Inputs(N);
  const A = BigInt64Array.from(a), B = BigInt64Array.from(b);
  const ab = [{ name: 'A', dtype: 'int64' as DType }, { name: 'B', dtype: 'int64' as DType }];

  it('add, sub, mul, div, floordiv, floormod, min, max and bitwise ops on int64, over many threads', async () => {
    const funcs = Object.keys(I64_BIN).map((op) => elementwise(`i64_${op}`, N, ab, 'int64', ([x, y]) => bin(op as BinOp, x!, y!)));
    const k = await buildAndLoad(funcs);
    expect(k.code).toContain('array<vec2<u32>>');
    for (const [op, ref] of Object.entries(I64_BIN)) {
      const got = new BigInt64Array((await k.run(`i64_${op}`, [A, B], N * 8)).buffer);
      const bad = a.map((x, i) => [x, b[i]!, got[i]!, ref(x, b[i]!)] as const).filter(([, , g, w]) => g !== w);
      expect(bad.slice(0, 5), `int64 ${op}`).toEqual([]);
    }
    k.dev.dispose();
  });

  it('compares int64 (signed) and uint64 (unsigned) values that differ only in the high word or sign', async () => {
    const ops: CmpOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];
    const ua = a.map(u64), ub = b.map(u64);
    // Neighbours that differ by one in either word.
    ua[0] = 0x1_0000_0000n; ub[0] = 0x0_ffff_ffffn;
    ua[1] = 0x8000_0000_0000_0000n; ub[1] = 0x7fff_ffff_ffff_ffffn;
    const funcs = [
      ...ops.map((op) => elementwise(`i64_${op}`, N, ab, 'bool', ([x, y]) => cmp(op, x!, y!))),
      ...ops.map((op) => elementwise(`u64_${op}`, N, [{ name: 'A', dtype: 'uint64' }, { name: 'B', dtype: 'uint64' }], 'bool', ([x, y]) => cmp(op, x!, y!))),
    ];
    const k = await buildAndLoad(funcs);
    for (const op of ops) {
      const gs = await k.run(`i64_${op}`, [A, B], N);
      expect(Array.from(gs), `int64 ${op}`).toEqual(a.map((x, i) => (CMP[op](x, b[i]!) ? 1 : 0)));
      const gu = await k.run(`u64_${op}`, [BigUint64Array.from(ua), BigUint64Array.from(ub)], N);
      expect(Array.from(gu), `uint64 ${op}`).toEqual(ua.map((x, i) => (CMP[op](x, ub[i]!) ? 1 : 0)));
    }
    k.dev.dispose();
  });

  it('uint64 div, mod, add, mul, min and shifts; int64 shifts (arithmetic right shift keeps the sign)', async () => {
    const ua = a.map(u64), ub = b.map(u64);
    const s = a.map((_, i) => BigInt((i * 7) % 70));
    const U = [{ name: 'A', dtype: 'uint64' as DType }, { name: 'B', dtype: 'uint64' as DType }];
    const funcs = [
      elementwise('u64_div', N, U, 'uint64', ([x, y]) => bin('div', x!, y!)),
      elementwise('u64_mod', N, U, 'uint64', ([x, y]) => bin('floormod', x!, y!)),
      elementwise('u64_add', N, U, 'uint64', ([x, y]) => bin('add', x!, y!)),
      elementwise('u64_mul', N, U, 'uint64', ([x, y]) => bin('mul', x!, y!)),
      elementwise('u64_min', N, U, 'uint64', ([x, y]) => bin('min', x!, y!)),
      elementwise('u64_shr', N, [{ name: 'A', dtype: 'uint64' }, { name: 'S', dtype: 'int64' }], 'uint64', ([x, y]) => bin('shr', x!, y!)),
      elementwise('i64_shl', N, [{ name: 'A', dtype: 'int64' }, { name: 'S', dtype: 'int64' }], 'int64', ([x, y]) => bin('shl', x!, y!)),
      elementwise('i64_shr', N, [{ name: 'A', dtype: 'int64' }, { name: 'S', dtype: 'int64' }], 'int64', ([x, y]) => bin('shr', x!, y!)),
    ];
    const k = await buildAndLoad(funcs);
    const UA = BigUint64Array.from(ua), UB = BigUint64Array.from(ub), S = BigInt64Array.from(s);
    const u = async (name: string, ins: ArrayBufferView[]) => Array.from(new BigUint64Array((await k.run(name, ins, N * 8)).buffer));
    const sgn = async (name: string, ins: ArrayBufferView[]) => Array.from(new BigInt64Array((await k.run(name, ins, N * 8)).buffer));
    expect(await u('u64_div', [UA, UB])).toEqual(ua.map((x, i) => (ub[i] === 0n ? 0n : x / ub[i]!)));
    expect(await u('u64_mod', [UA, UB])).toEqual(ua.map((x, i) => (ub[i] === 0n ? 0n : x % ub[i]!)));
    expect(await u('u64_add', [UA, UB])).toEqual(ua.map((x, i) => u64(x + ub[i]!)));
    expect(await u('u64_mul', [UA, UB])).toEqual(ua.map((x, i) => u64(x * ub[i]!)));
    expect(await u('u64_min', [UA, UB])).toEqual(ua.map((x, i) => (x < ub[i]! ? x : ub[i]!)));
    expect(await u('u64_shr', [UA, S])).toEqual(ua.map((x, i) => (s[i]! >= 64n ? 0n : x >> s[i]!)));
    expect(await sgn('i64_shl', [A, S])).toEqual(a.map((x, i) => i64(x << s[i]!)));
    expect(await sgn('i64_shr', [A, S])).toEqual(a.map((x, i) => x >> s[i]!));
    k.dev.dispose();
  });

  it('casts int64 <-> int32/int8/bool/float32 and uint64 -> float32; widens int32 products; literals beyond 2^32', async () => {
    const F = Float32Array.from([1.5, -1.5, 3e9, -3e9, 1e18, -1e18, 9.3e18, -9.3e18, NaN, 0.999, -0.999, 2 ** 40, -(2 ** 63), 0, -0, 16777217, 123456.789, ...Array.from({ length: N - 17 }, (_, i) => (i - 500) * 1.37e13)]);
    const X = Int32Array.from(a.map((v) => Number(BigInt.asIntN(32, v))));
    const big = 2 ** 40 + 3; // an int64 literal that needs both words
    const funcs = [
      elementwise('i64_to_f32', N, [{ name: 'A', dtype: 'int64' }], 'float32', ([x]) => cast(x!, 'float32')),
      elementwise('u64_to_f32', N, [{ name: 'A', dtype: 'uint64' }], 'float32', ([x]) => cast(x!, 'float32')),
      elementwise('f32_to_i64', N, [{ name: 'F', dtype: 'float32' }], 'int64', ([x]) => cast(x!, 'int64')),
      elementwise('i64_to_i32', N, [{ name: 'A', dtype: 'int64' }], 'int32', ([x]) => cast(x!, 'int32')),
      elementwise('i64_to_i8', N, [{ name: 'A', dtype: 'int64' }], 'int8', ([x]) => cast(x!, 'int8')),
      elementwise('i64_to_bool', N, [{ name: 'A', dtype: 'int64' }], 'bool', ([x]) => cast(x!, 'bool')),
      elementwise('i32_wide_mul', N, [{ name: 'X', dtype: 'int32' }, { name: 'Y', dtype: 'int32' }], 'int64', ([x, y]) => bin('mul', cast(x!, 'int64'), cast(y!, 'int64'))),
      elementwise('i64_lit', N, [{ name: 'A', dtype: 'int64' }], 'int64', ([x]) => add(bin('floordiv', x!, int(big)), int(-5))),
    ];
    const k = await buildAndLoad(funcs);
    const f32 = async (name: string, ins: ArrayBufferView[]) => Array.from(new Float32Array((await k.run(name, ins, N * 4)).buffer));
    expect(await f32('i64_to_f32', [A])).toEqual(a.map(bigToF32));
    expect(await f32('u64_to_f32', [BigUint64Array.from(a.map(u64))])).toEqual(a.map((v) => bigToF32(u64(v))));
    const toI64 = (f: number) => (Number.isNaN(f) ? 0n : f >= 2 ** 63 ? 2n ** 63n - 1n : f < -(2 ** 63) ? -(2n ** 63n) : BigInt(Math.trunc(f)));
    expect(Array.from(new BigInt64Array((await k.run('f32_to_i64', [F], N * 8)).buffer))).toEqual(Array.from(F, toI64));
    expect(Array.from(new Int32Array((await k.run('i64_to_i32', [A], N * 4)).buffer))).toEqual(a.map((v) => Number(BigInt.asIntN(32, v))));
    expect(Array.from(new Int8Array((await k.run('i64_to_i8', [A], N)).buffer))).toEqual(a.map((v) => Number(BigInt.asIntN(8, v))));
    expect(Array.from(await k.run('i64_to_bool', [A], N))).toEqual(a.map((v) => (v !== 0n ? 1 : 0)));
    const Y = Int32Array.from(b.map((v) => Number(BigInt.asIntN(32, v))));
    expect(Array.from(new BigInt64Array((await k.run('i32_wide_mul', [X, Y], N * 8)).buffer))).toEqual(Array.from(X, (x, i) => BigInt(x) * BigInt(Y[i]!)));
    expect(Array.from(new BigInt64Array((await k.run('i64_lit', [A], N * 8)).buffer))).toEqual(a.map((v) => i64(floorDiv(v, BigInt(big)) - 5n)));
    k.dev.dispose();
  });

  it('uses int64 tensor values as indices (Gather-style, negative indices wrap) through an i32 conversion', async () => {
    const n = 300, len = 77;
    const X = Float32Array.from({ length: len }, (_, i) => i * 1.5 - 20);
    const I = BigInt64Array.from({ length: n }, (_, i) => BigInt(((i * 31) % (2 * len)) - len));
    const f = elementwise('gather_i64', n, [{ name: 'I', dtype: 'int64' }], 'float32', ([ix]) => {
      const j = select(cmp('lt', ix!, int(0)), add(ix!, int(len)), ix!);
      return { k: 'load', buffer: 'X', indices: [j], dtype: 'float32' };
    });
    // X is a second input buffer of the kernel.
    const withX = { ...f, params: [f.params[0]!, { name: 'X', dtype: 'float32' as DType, shape: [int(len)], scope: 'global' as const }, f.params[1]!] };
    const k = await buildAndLoad([withX]);
    const got = new Float32Array((await k.run('gather_i64', [I, X], n * 4)).buffer);
    expect(Array.from(got)).toEqual(Array.from(I, (v) => X[Number(v < 0n ? v + BigInt(len) : v)]!));
    k.dev.dispose();
  });
});

describe.runIf(run)('webgpu: 64-bit and 16-bit accumulators in workgroup memory (Reduction rule)', () => {
  it('sums int64 rows exactly and float16 rows with rounding, through shared-memory trees', async () => {
    const rowsN = 5, cols = 300;
    const sumFn = (name: string, dt: DType) => {
      const A = buffer('A', dt, [int(rowsN), int(cols)]), S = buffer('S', dt, [int(rowsN)]);
      const zero: Expr = dt === 'float16' ? { k: 'float', value: 0, dtype: dt } : int(0, dt);
      const body = reduce(S, [int(cols)], zero, (acc, x) => bin('add', acc, x), (v, r) => ({ k: 'load', buffer: 'A', indices: [v[0]!, r[0]!], dtype: dt }));
      const f = reductionRule.apply(primFunc(name, [A], [S], [body], { pattern: 'comm_reduce' }), webgpuTarget);
      expect(f?.attrs.scheduledBy).toBe('Reduction');
      return f!;
    };
    const k = await buildAndLoad([sumFn('sum_i64', 'int64'), sumFn('sum_f16', 'float16')]);
    expect(k.code).toMatch(/var<workgroup> \w+: array<vec2<u32>, \d+>/);
    const r = rng(7n);
    const a = Array.from({ length: rowsN * cols }, () => i64(r()) >> 3n);
    const got = new BigInt64Array((await k.run('sum_i64', [BigInt64Array.from(a)], rowsN * 8)).buffer);
    const want = Array.from({ length: rowsN }, (_, i) => a.slice(i * cols, (i + 1) * cols).reduce((x, y) => i64(x + y), 0n));
    expect(Array.from(got)).toEqual(want);
    // Small integers in float16: every partial sum is exact, so any order of the tree gives the same result.
    const h = Array.from({ length: rowsN * cols }, (_, i) => ((i * 37) % 11) - 5);
    const gotH = Array.from(new Uint16Array((await k.run('sum_f16', [Uint16Array.from(h.map(halfBits))], rowsN * 2)).buffer), halfToFloat);
    expect(gotH).toEqual(Array.from({ length: rowsN }, (_, i) => h.slice(i * cols, (i + 1) * cols).reduce((x, y) => x + y, 0)));
    k.dev.dispose();
  });
});

// ---- 8/16-bit ints, bool, float16, bfloat16 --------------------------------------------------------------------

const N16 = 1001; // not a multiple of 4: the last word is partly written
// Special values first: NaN, infinities, f16 overflow edges, f16 subnormals, and exact ties for both 16-bit formats
// (1 + 2^-11 and 1 + 3 * 2^-11 are f16 ties, 1.5 * 2^-24 an f16 subnormal tie, 1 + 2^-8 and 1 + 3 * 2^-8 bf16 ties).
const SPECIAL = [NaN, Infinity, -Infinity, 65519, 65520, -65504, 1e-6, 6e-8, -2.98e-8, 1 + 2 ** -11, 1 + 3 * 2 ** -11,
  -(1 + 2 ** -11), 1.5 * 2 ** -24, 2.5 * 2 ** -24, 1 + 2 ** -8, 1 + 3 * 2 ** -8, -(1 + 3 * 2 ** -8), 2 ** -14, 0, -0];
const f32In = Float32Array.from({ length: N16 }, (_, i) => (i < SPECIAL.length ? SPECIAL[i]! : Math.sin(i * 0.37) * 3 ** ((i % 23) - 11)));
const i32In = Int32Array.from({ length: N16 }, (_, i) => ((i * 2654435761) | 0) >> (i % 24));
const halfBits = (v: number): number => {
  // Encoding of an f16 value (already representable) as bits.
  if (Number.isNaN(v)) return 0x7e00;
  const s = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a === Infinity) return s | 0x7c00;
  if (a < 2 ** -14) return s | Math.round(a / 2 ** -24);
  const e = Math.floor(Math.log2(a));
  return s | ((e + 15) << 10) | Math.round((a / 2 ** e - 1) * 1024);
};
const bf16Bits = (v: number): number => new Uint32Array(new Float32Array([v]).buffer)[0]! >>> 16;
const sameFloats = (got: readonly number[], want: readonly number[]) =>
  got.map((g, i) => [i, g, want[i]!] as const).filter(([, g, w]) => !(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)) || g === w));

describe.runIf(run)('webgpu: packed 8/16-bit buffers written by many invocations', () => {
  it('stores int8, uint16, bool, float16 and bfloat16 lanes from different threads without losing any', async () => {
    const X = [{ name: 'X', dtype: 'int32' as DType }];
    const F = [{ name: 'F', dtype: 'float32' as DType }];
    const funcs = [
      elementwise('to_i8', N16, X, 'int8', ([x]) => cast(x!, 'int8')),
      elementwise('to_u16', N16, X, 'uint16', ([x]) => cast(x!, 'uint16')),
      elementwise('to_bool', N16, X, 'bool', ([x]) => cmp('gt', x!, int(0, 'int32'))),
      elementwise('to_f16', N16, F, 'float16', ([x]) => cast(x!, 'float16')),
      elementwise('to_bf16', N16, F, 'bfloat16', ([x]) => cast(x!, 'bfloat16')),
    ];
    const k = await buildAndLoad(funcs);
    expect(k.code).toContain('array<atomic<u32>>');
    expect(k.code).not.toContain('enable f16');
    expect(Array.from(new Int8Array((await k.run('to_i8', [i32In], N16)).buffer))).toEqual(Array.from(i32In, (v) => (v << 24) >> 24));
    expect(Array.from(new Uint16Array((await k.run('to_u16', [i32In], N16 * 2)).buffer))).toEqual(Array.from(i32In, (v) => v & 0xffff));
    expect(Array.from(await k.run('to_bool', [i32In], N16))).toEqual(Array.from(i32In, (v) => (v > 0 ? 1 : 0)));
    const h = Array.from(new Uint16Array((await k.run('to_f16', [f32In], N16 * 2)).buffer));
    expect(h.map((x, i) => [i, x, halfBits(f16Round(f32In[i]!))]).filter(([, x, w]) => x !== w)).toEqual([]);
    const bf = Array.from(new Uint16Array((await k.run('to_bf16', [f32In], N16 * 2)).buffer));
    expect(bf.map((x, i) => [i, x, Number.isNaN(f32In[i]) ? x : bf16Bits(bf16Round(f32In[i]!))]).filter(([, x, w]) => x !== w)).toEqual([]);
    expect(bf.filter((x, i) => Number.isNaN(f32In[i]) && (x & 0x7f80) !== 0x7f80)).toEqual([]);
    k.dev.dispose();
  });

  it('casts between int8, uint16, bool, float16, bfloat16 and int64 (read from packed lanes)', async () => {
    const hIn = Uint16Array.from(Array.from(f32In, (v) => halfBits(f16Round(v))));
    const i8In = Int8Array.from(i32In, (v) => (v << 24) >> 24);
    const u16In = Uint16Array.from(i32In, (v) => v & 0xffff);
    const bIn = Uint8Array.from(i32In, (v) => (v & 4 ? 1 : 0));
    const bfIn = Uint16Array.from(Array.from(f32In, (v) => (Number.isNaN(v) ? 0x7fc0 : bf16Bits(bf16Round(v)))));
    const funcs = [
      elementwise('f16_to_bf16', N16, [{ name: 'H', dtype: 'float16' }], 'bfloat16', ([x]) => cast(x!, 'bfloat16')),
      elementwise('bf16_to_f16', N16, [{ name: 'H', dtype: 'bfloat16' }], 'float16', ([x]) => cast(x!, 'float16')),
      elementwise('u16_to_f16', N16, [{ name: 'U', dtype: 'uint16' }], 'float16', ([x]) => cast(x!, 'float16')),
      elementwise('i8_to_u16', N16, [{ name: 'I', dtype: 'int8' }], 'uint16', ([x]) => cast(x!, 'uint16')),
      elementwise('i8_to_f16', N16, [{ name: 'I', dtype: 'int8' }], 'float16', ([x]) => cast(x!, 'float16')),
      elementwise('bool_to_i8', N16, [{ name: 'B', dtype: 'bool' }], 'int8', ([x]) => cast(x!, 'int8')),
      elementwise('f16_to_i64', N16, [{ name: 'H', dtype: 'float16' }], 'int64', ([x]) => cast(x!, 'int64')),
      elementwise('i8_to_i64', N16, [{ name: 'I', dtype: 'int8' }], 'int64', ([x]) => bin('mul', cast(x!, 'int64'), int(2 ** 36))),
      elementwise('f16_to_f32', N16, [{ name: 'H', dtype: 'float16' }], 'float32', ([x]) => cast(x!, 'float32')),
    ];
    const k = await buildAndLoad(funcs);
    const hv = Array.from(hIn, halfToFloat);
    const halves = async (name: string, ins: ArrayBufferView[]) => Array.from(new Uint16Array((await k.run(name, ins, N16 * 2)).buffer));
    const toBf = (v: number) => (Number.isNaN(v) ? null : bf16Bits(bf16Round(v)));
    expect((await halves('f16_to_bf16', [hIn])).map((x, i) => (toBf(hv[i]!) === null ? null : x))).toEqual(hv.map(toBf));
    const bfv = toNumbers({ dtype: 'bfloat16', shape: [N16], data: new Uint8Array(bfIn.buffer) } as HostTensor);
    expect((await halves('bf16_to_f16', [bfIn])).map((x, i) => (Number.isNaN(bfv[i]) ? 0x7e00 : x))).toEqual(bfv.map((v) => (Number.isNaN(v) ? 0x7e00 : halfBits(f16Round(v)))));
    expect(await halves('u16_to_f16', [u16In])).toEqual(Array.from(u16In, (v) => halfBits(f16Round(v))));
    expect(await halves('i8_to_u16', [i8In])).toEqual(Array.from(i8In, (v) => v & 0xffff));
    expect(await halves('i8_to_f16', [i8In])).toEqual(Array.from(i8In, (v) => halfBits(v)));
    expect(Array.from(new Int8Array((await k.run('bool_to_i8', [bIn], N16)).buffer))).toEqual(Array.from(bIn));
    const finite = hv.map((v) => Number.isFinite(v));
    const i64s = Array.from(new BigInt64Array((await k.run('f16_to_i64', [hIn], N16 * 8)).buffer));
    expect(i64s.filter((_, i) => finite[i])).toEqual(hv.filter((_, i) => finite[i]).map((v) => BigInt(Math.trunc(v))));
    expect(Array.from(new BigInt64Array((await k.run('i8_to_i64', [i8In], N16 * 8)).buffer))).toEqual(Array.from(i8In, (v) => BigInt(v) * 2n ** 36n));
    const f32 = Array.from(new Float32Array((await k.run('f16_to_f32', [hIn], N16 * 4)).buffer));
    expect(sameFloats(f32, hv)).toEqual([]);
    k.dev.dispose();
  });

  it('computes float16 and bfloat16 arithmetic in f32 with each result rounded (matches native half arithmetic)', async () => {
    const n = 999;
    const av = Array.from({ length: n }, (_, i) => f16Round(Math.sin(i) * 40));
    const bv = Array.from({ length: n }, (_, i) => f16Round(Math.cos(i * 1.3) * 3));
    const cv = Array.from({ length: n }, (_, i) => f16Round(i / 7 - 70));
    const H = (name: string) => ({ name, dtype: 'float16' as DType });
    const Bf = (name: string) => ({ name, dtype: 'bfloat16' as DType });
    const fma = ([x, y, z]: readonly Expr[]) => bin('add', bin('mul', x!, y!), z!);
    const funcs = [
      elementwise('f16_fma', n, [H('A'), H('B'), H('C')], 'float16', fma),
      elementwise('bf16_fma', n, [Bf('A'), Bf('B'), Bf('C')], 'bfloat16', fma),
      elementwise('f16_sqrt', n, [H('A')], 'float16', ([x]) => call('sqrt', [call('abs', [x!], 'float16')], 'float16')),
    ];
    const k = await buildAndLoad(funcs);
    const enc = (vs: number[], f: (v: number) => number) => Uint16Array.from(vs.map(f));
    const got = Array.from(new Uint16Array((await k.run('f16_fma', [enc(av, halfBits), enc(bv, halfBits), enc(cv, halfBits)], n * 2)).buffer), halfToFloat);
    expect(sameFloats(got, av.map((x, i) => f16Round(f16Round(x * bv[i]!) + cv[i]!)))).toEqual([]);
    const ab = av.map(bf16Round), bb = bv.map(bf16Round), cb = cv.map(bf16Round);
    const gotB = toNumbers({ dtype: 'bfloat16', shape: [n], data: await k.run('bf16_fma', [enc(ab, bf16Bits), enc(bb, bf16Bits), enc(cb, bf16Bits)], n * 2) });
    expect(sameFloats(gotB, ab.map((x, i) => bf16Round(bf16Round(x * bb[i]!) + cb[i]!)))).toEqual([]);
    const gotS = Array.from(new Uint16Array((await k.run('f16_sqrt', [enc(av, halfBits)], n * 2)).buffer), halfToFloat);
    expect(sameFloats(gotS, av.map((x) => f16Round(Math.sqrt(Math.abs(x)))))).toEqual([]);
    k.dev.dispose();
  });
});

describe.runIf(run)('webgpu: native float16 artifacts at run time', () => {
  it('runs a shader-f16 artifact where the device has shader-f16, else refuses it with a diagnostic', async () => {
    const target = { ...webgpuTarget, attrs: { ...webgpuTarget.attrs, shaderF16: true } };
    const n = 64;
    const fn = elementwise('h_mul', n, [{ name: 'A', dtype: 'float16' }, { name: 'B', dtype: 'float16' }], 'float16', ([x, y]) => bin('mul', x!, y!));
    let k: Awaited<ReturnType<typeof buildAndLoad>>;
    try {
      k = await buildAndLoad([fn], target);
    } catch (e) {
      expect(isRelaxError(e) && e.diagnostic.code).toBe('RLX_RUN_DEVICE_UNSUPPORTED');
      expect((e as Error).message).toContain('shader-f16');
      return;
    }
    const a = Array.from({ length: n }, (_, i) => f16Round(i / 3 - 7)), b = Array.from({ length: n }, (_, i) => f16Round(1.1 + i / 64));
    const got = Array.from(new Uint16Array((await k.run('h_mul', [Uint16Array.from(a.map(halfBits)), Uint16Array.from(b.map(halfBits))], n * 2)).buffer), halfToFloat);
    expect(got).toEqual(a.map((x, i) => f16Round(x * b[i]!)));
    k.dev.dispose();
  });
});

// ---- float16 with shader-f16; float64 rejected ------------------------------------------------------------------

describe('webgpu: dtype policy', () => {
  it('stores float16 natively with shader-f16 and emulates it without; never 64-bit floats', () => {
    expect(webgpuDType('float16', { attrs: { ...webgpuTarget.attrs, shaderF16: true } })).toEqual({ storage: 'native', compute: 'f16' });
    expect(webgpuDType('float16', webgpuTarget)).toMatchObject({ storage: 'packed', bits: 16, compute: 'f32', round: 'f16' });
    expect(webgpuDType('int64', webgpuTarget)).toEqual({ storage: 'pair', compute: 'i64' });
    expect(webgpuDType('float64', webgpuTarget).storage).toBe('rejected');
  });

  it('emits native f16 (enable f16) for a shader-f16 target, and Tint accepts it', async () => {
    const target = { ...webgpuTarget, attrs: { ...webgpuTarget.attrs, shaderF16: true } };
    const f = fallbackRule.apply(elementwise('h_fma', 64, [{ name: 'A', dtype: 'float16' }, { name: 'B', dtype: 'float16' }], 'float16',
      ([x, y]) => bin('add', bin('mul', x!, y!), cast(int(3), 'float16'))), target)!;
    const mod = generateWgsl([f], target);
    expect(mod.code).toMatch(/^enable f16;/m);
    expect(mod.code).toContain('array<f16>');
    expect(mod.code).not.toContain('rlx_f32_to_f16');
    const diags = await validateWgsl(mod, target);
    expect(diags.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it("gives each kernel the prelude and its own section of kernels.wgsl (what its pipeline is created from)", () => {
    const k = (name: string) => fallbackRule.apply(elementwise(name, 64, [{ name: 'A', dtype: 'float32' }], 'float32', ([x]) => bin('add', x!, x!)), webgpuTarget)!;
    const mod = generateWgsl([k('k_a'), k('k_b')], webgpuTarget);
    const own = kernelSources(mod.code);
    expect([...own.keys()]).toEqual(['k_a', 'k_b']);
    const lines = mod.code.split('\n');
    for (const r of mod.lines) {
      const code = own.get(r.kernel)!;
      expect(code).toContain(lines.slice(r.first - 1, r.last).join('\n'));
      expect(code).toContain('// Generated by relax');
      for (const other of mod.lines) if (other.kernel !== r.kernel) expect(code).not.toContain(`fn ${other.kernel}(`);
    }
    expect(kernelSources('fn main() {}').size).toBe(0); // not laid out by relax: the runtime uses the whole file
  });

  it('validates each pipeline against its own kernel, and names the kernel whose pipeline WebGPU rejects', async () => {
    const k = (name: string) => fallbackRule.apply(elementwise(name, 64, [{ name: 'A', dtype: 'float32' }], 'float32', ([x]) => bin('add', x!, x!)), webgpuTarget)!;
    const mod = generateWgsl([k('k_a'), k('k_b'), k('k_c')], webgpuTarget);
    expect((await validateWgsl(mod, webgpuTarget)).filter((d) => d.severity === 'error')).toEqual([]);
    // k_b's layout says its output is read-only while its shader writes it: only its pipeline can fail.
    const lying = { ...mod, kernels: mod.kernels.map((ki) => (ki.name === 'k_b' ? { ...ki, params: ki.params.map((p) => ({ ...p, access: 'read' as const })) } : ki)) };
    let err: unknown;
    try { await validateWgsl(lying, webgpuTarget); } catch (e) { err = e; }
    expect(isRelaxError(err)).toBe(true);
    const d = (err as { diagnostic: { code: string; message: string; where?: Record<string, unknown> } }).diagnostic;
    expect(d.code).toBe('RLX_WGSL_INVALID');
    expect(d.message).toContain('pipeline for kernel k_b');
    expect(d.where).toMatchObject({ kernel: 'k_b' });
  });

  it('rejects a float64 kernel at build time naming the kernel, the op and why, with a hint', () => {
    const f = fallbackRule.apply(elementwise('cumsum', 8, [{ name: 'X', dtype: 'float64' }], 'float64', ([x]) => x!, "CumSum 'cs0'"), webgpuTarget)!;
    let err: unknown;
    try { generateWgsl([f], webgpuTarget); } catch (e) { err = e; }
    expect(isRelaxError(err)).toBe(true);
    const d = (err as { diagnostic: { code: string; message: string; hint?: string; where?: Record<string, unknown> } }).diagnostic;
    expect(d.code).toBe('RLX_WEBGPU_UNSUPPORTED_DTYPE');
    expect(d.message).toContain('kernel cumsum');
    expect(d.message).toContain("CumSum 'cs0'");
    expect(d.message).toContain('float64');
    expect(d.message).toContain('no 64-bit floats');
    expect(d.where).toMatchObject({ kernel: 'cumsum', op: 'CumSum', node: 'cs0' });
    expect(d.hint).toMatch(/float32/);
  });

  it('rejects a float64 ONNX model through compile() with the model named in the diagnostic', async () => {
    const model = buildModel({
      opset: 14,
      nodes: [{ op: 'Add', name: 'add64', inputs: ['x', 'y'], outputs: ['z'] }],
      inputs: [{ name: 'x', dtype: 'float64', dims: [4] }, { name: 'y', dtype: 'float64', dims: [4] }],
      outputs: [{ name: 'z', dtype: 'float64', dims: [4] }],
    });
    const res = await compileModel('doubles', model);
    expect(res.ok).toBe(false);
    const d = res.diagnostics.find((x) => x.severity === 'error')!;
    expect(d.code).toBe('RLX_WEBGPU_UNSUPPORTED_DTYPE');
    expect(d.where).toMatchObject({ model: 'doubles', target: 'webgpu', op: 'Add', node: 'add64' });
    expect(d.message).toContain('no 64-bit floats');
  });
});

// ---- ONNX models through the real compile path ------------------------------------------------------------------

async function compileModel(name: string, model: Uint8Array) {
  const dir = mkdtempSync(join(tmpdir(), 'relax-wgpu-model-'));
  const modelPath = join(dir, `${name}.onnx`);
  writeFileSync(modelPath, model);
  return compile({
    model: name, modelPath, modelSource: `${name}.onnx`, target: webgpuTarget,
    pipeline: resolvePipeline(webgpuTarget, 'default'), tmpDir: dir,
  });
}

async function compileAndRun(name: string, model: Uint8Array, inputs: Record<string, HostTensor>): Promise<HostTensor[]> {
  const res = await compileModel(name, model);
  expect(res.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const out = mkdtempSync(join(tmpdir(), 'relax-wgpu-art-'));
  for (const f of res.files) {
    mkdirSync(join(out, f.path, '..'), { recursive: true });
    writeFileSync(join(out, f.path), f.data);
  }
  const s = await Session.load(out);
  try {
    return await s.run(inputs);
  } finally {
    s.dispose();
  }
}

const tensor64 = (vals: readonly bigint[]): HostTensor => ({ dtype: 'int64', shape: [vals.length], data: new Uint8Array(BigInt64Array.from(vals).buffer) });

describe.runIf(run)('webgpu: int64 ONNX models (compile + Session)', () => {
  it('Add and Mul fused on int64 with values beyond 2^32 and negative', async () => {
    const model = buildModel({
      opset: 14,
      nodes: [
        { op: 'Mul', inputs: ['x', 'y'], outputs: ['p'] },
        { op: 'Add', inputs: ['p', 'x'], outputs: ['z'] },
      ],
      inputs: [{ name: 'x', dtype: 'int64', dims: [6] }, { name: 'y', dtype: 'int64', dims: [6] }],
      outputs: [{ name: 'z', dtype: 'int64', dims: [6] }],
    });
    const x = [2n ** 40n + 7n, -(2n ** 33n), 3n, -5n, 2n ** 62n, 123456789n];
    const y = [-3n, 2n ** 20n + 1n, -(2n ** 61n), 7n, 2n, 987654321n];
    const [z] = await compileAndRun('i64_addmul', model, { x: tensor64(x), y: tensor64(y) });
    expect(z!.dtype).toBe('int64');
    expect(Array.from(new BigInt64Array(z!.data.slice().buffer))).toEqual(x.map((v, i) => i64(v * y[i]! + v)));
  });
});
