/** Hand-built PrimFuncs for the cpu/cuda backend tests. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CodegenResult } from '../../src/backends/types.js';
import type { Manifest, Target } from '../../src/formats/manifest.js';
import {
  add, and, call, cast, cmp, float, floordiv, floormod, int, ivar, load, max, min, mul, select, sub,
} from '../../src/compiler/tir/expr.js';
import type { Buffer, DType, Expr, PrimFunc, Stmt } from '../../src/compiler/tir/types.js';

export const buf = (name: string, dtype: DType, shape: readonly Expr[], scope: Buffer['scope'] = 'global'): Buffer =>
  ({ name, dtype, shape, scope });
const loop = (v: string, extent: Expr, body: Stmt, kind: 'serial' | 'parallel' | 'unrolled' | 'vectorized' = 'serial'): Stmt =>
  ({ k: 'for', var: v, extent, kind, body });
const tloop = (v: string, extent: Expr, thread: 'blockIdx.x' | 'threadIdx.x', body: Stmt): Stmt =>
  ({ k: 'for', var: v, extent, kind: 'thread', thread, body });
const seq = (...body: Stmt[]): Stmt => ({ k: 'seq', body });
const ceildiv = (a: Expr, b: number): Expr => floordiv(add(a, int(b - 1)), int(b));

const n = ivar('n');

/** C[i] = A[i] + B[i] over a symbolic n. */
export const addFn: PrimFunc = {
  k: 'prim_func', name: 'add_f32',
  params: [buf('A', 'float32', [n]), buf('B', 'float32', [n]), buf('C', 'float32', [n])],
  vars: ['n'],
  body: loop('i', n, {
    k: 'block', name: 'C', iters: [{ name: 'vi', extent: n, type: 'spatial' }], bindings: [ivar('i')],
    body: { k: 'store', buffer: 'C', indices: [ivar('vi')], value: add(load('A', [ivar('vi')], 'float32'), load('B', [ivar('vi')], 'float32')) },
  }, 'parallel'),
  attrs: { pattern: 'elementwise', origin: ["Add 'add0'"] },
};

const m = ivar('m'), kk = ivar('k');
/** S[i] = sum_j A[i, j] with a block init. */
export const rowSumFn: PrimFunc = {
  k: 'prim_func', name: 'row_sum',
  params: [buf('A', 'float32', [m, kk]), buf('S', 'float32', [m])],
  vars: ['m', 'k'],
  body: loop('i', m, loop('j', kk, {
    k: 'block', name: 'S',
    iters: [{ name: 'vi', extent: m, type: 'spatial' }, { name: 'vk', extent: kk, type: 'reduce' }],
    bindings: [ivar('i'), ivar('j')],
    init: { k: 'store', buffer: 'S', indices: [ivar('vi')], value: float(0) },
    body: { k: 'store', buffer: 'S', indices: [ivar('vi')], value: add(load('S', [ivar('vi')], 'float32'), load('A', [ivar('vi'), ivar('vk')], 'float32')) },
  })),
  attrs: { pattern: 'comm_reduce' },
};

/**
 * A split loop (n rounded up to 4) whose block is guarded by a predicate; computes integer floordiv/floormod
 * (negative operands) and writes Q, R.
 */
export const predFn: PrimFunc = (() => {
  const vi = add(mul(ivar('io'), int(4)), ivar('ii'));
  const x = load('X', [ivar('v')], 'int64');
  const d = load('D', [ivar('v')], 'int64');
  return {
    k: 'prim_func', name: 'divmod_pred',
    params: [buf('X', 'int64', [n]), buf('D', 'int64', [n]), buf('Q', 'int64', [n]), buf('R', 'int64', [n])],
    vars: ['n'],
    body: loop('io', ceildiv(n, 4), loop('ii', int(4), {
      k: 'block', name: 'QR', iters: [{ name: 'v', extent: n, type: 'spatial' }], bindings: [vi],
      predicate: cmp('lt', vi, n),
      body: seq(
        { k: 'store', buffer: 'Q', indices: [ivar('v')], value: floordiv(x, d) },
        { k: 'store', buffer: 'R', indices: [ivar('v')], value: floormod(x, d) },
      ),
    }, 'unrolled')),
    attrs: {},
  } satisfies PrimFunc;
})();

/** Elementwise math over float32 and float64: checks function mapping, literals, NaN-propagating min/max. */
export const mathFn: PrimFunc = (() => {
  const x = load('X', [ivar('i')], 'float32');
  const y = load('Y', [ivar('i')], 'float64');
  const st = (b: string, v: Expr): Stmt => ({ k: 'store', buffer: b, indices: [ivar('i')], value: v });
  return {
    k: 'prim_func', name: 'math_mix',
    params: [
      buf('X', 'float32', [int(8)]), buf('Y', 'float64', [int(8)]),
      buf('O1', 'float32', [int(8)]), buf('O2', 'float32', [int(8)]), buf('O3', 'float32', [int(8)]),
      buf('O4', 'float64', [int(8)]), buf('O5', 'bool', [int(8)]), buf('O6', 'int32', [int(8)]),
    ],
    vars: [],
    body: loop('i', int(8), {
      k: 'let', var: 't', value: call('tanh', [x], 'float32'),
      body: seq(
        st('O1', add(call('sigmoid', [x], 'float32'), mul(call('erf', [x], 'float32'), float(0.1)))),
        st('O2', max(min(x, float(2.5)), float(-Infinity))),
        st('O3', select(cmp('gt', x, float(0)), call('exp', [x], 'float32'), sub({ k: 'var', name: 't', dtype: 'float32' }, float(1e-7)))),
        st('O4', mul(call('sqrt', [call('abs', [y], 'float64')], 'float64'), float(0.1, 'float64'))),
        st('O5', and(call('isnan', [x], 'bool'), cmp('ne', x, float(Infinity)))),
        st('O6', cast(call('round', [x], 'float32'), 'int32')),
      ),
    }),
    attrs: {},
  } satisfies PrimFunc;
})();

// ---- GPU (thread-bound) versions -------------------------------------------------------------------------

/** The add kernel bound to blockIdx.x/threadIdx.x, 256 threads, guarded by a predicate. */
export const addGpuFn: PrimFunc = (() => {
  const vi = add(mul(ivar('bx'), int(256)), ivar('tx'));
  const grid = ceildiv(n, 256);
  return {
    ...addFn, name: 'add_f32_gpu',
    body: tloop('bx', grid, 'blockIdx.x', tloop('tx', int(256), 'threadIdx.x', {
      k: 'block', name: 'C', iters: [{ name: 'vi', extent: n, type: 'spatial' }], bindings: [vi],
      predicate: cmp('lt', vi, n),
      body: { k: 'store', buffer: 'C', indices: [ivar('vi')], value: add(load('A', [ivar('vi')], 'float32'), load('B', [ivar('vi')], 'float32')) },
    })),
    attrs: { ...addFn.attrs, scheduledBy: 'Fallback', launch: { grid: [grid], block: [256] } },
  };
})();

/** Row sum: one block per row, 256 threads stride over k, then a shared-memory tree reduction with barriers. */
export const rowSumGpuFn: PrimFunc = (() => {
  const T = 256;
  const tx = ivar('tx');
  const red = buf('red', 'float32', [int(T)], 'shared');
  const acc = buf('acc', 'float32', [int(1)], 'local');
  const col = add(mul(ivar('j'), int(T)), tx);
  const stage1: Stmt = tloop('tx', int(T), 'threadIdx.x', {
    k: 'alloc', buffer: acc, body: seq(
      { k: 'store', buffer: 'acc', indices: [int(0)], value: float(0) },
      loop('j', ceildiv(kk, T), {
        k: 'if', cond: cmp('lt', col, kk),
        then: { k: 'store', buffer: 'acc', indices: [int(0)], value: add(load('acc', [int(0)], 'float32'), load('A', [ivar('bx'), col], 'float32')) },
      }),
      { k: 'store', buffer: 'red', indices: [tx], value: load('acc', [int(0)], 'float32') },
    ),
  });
  const steps: Stmt[] = [];
  for (let s = T / 2; s >= 1; s /= 2) {
    steps.push(tloop('tx', int(T), 'threadIdx.x', {
      k: 'if', cond: cmp('lt', tx, int(s)),
      then: { k: 'store', buffer: 'red', indices: [tx], value: add(load('red', [tx], 'float32'), load('red', [add(tx, int(s))], 'float32')) },
    }), { k: 'barrier' });
  }
  const write: Stmt = tloop('tx', int(T), 'threadIdx.x', {
    k: 'if', cond: cmp('eq', tx, int(0)),
    then: { k: 'store', buffer: 'S', indices: [ivar('bx')], value: load('red', [int(0)], 'float32') },
  });
  return {
    ...rowSumFn, name: 'row_sum_gpu',
    body: tloop('bx', m, 'blockIdx.x', { k: 'alloc', buffer: red, body: seq(stage1, { k: 'barrier' }, ...steps, write) }),
    attrs: { ...rowSumFn.attrs, scheduledBy: 'Reduction', launch: { grid: [m], block: [T] } },
  };
})();

// ---- test plumbing: temp dirs, a minimal manifest, tool checks --------------------------------------------
export const tmp = (prefix: string): string => mkdtempSync(join(tmpdir(), `relax-${prefix}-`));

export const cpuTarget: Target = {
  kind: 'cpu', name: 'cpu', keys: ['cpu'],
  attrs: { maxThreadsPerBlock: 1, maxSharedMemoryBytes: 0, warpSize: 1, supportsInt64: true, supportsFloat64: true },
};
export const cudaTarget: Target = {
  kind: 'cuda', name: 'cuda', keys: ['cuda', 'gpu'],
  attrs: { arch: 'sm_90', maxThreadsPerBlock: 1024, maxSharedMemoryBytes: 49152, warpSize: 32, supportsInt64: true, supportsFloat64: true },
};

/** Writes the codegen files into a fresh artifact dir and returns it with a manifest describing them. */
export function writeArtifact(res: CodegenResult, target: Target): { dir: string; manifest: Manifest } {
  const dir = tmp('artifact');
  for (const f of res.files) {
    mkdirSync(join(dir, f.path, '..'), { recursive: true });
    writeFileSync(join(dir, f.path), f.data);
  }
  const manifest: Manifest = {
    format: 1,
    compiler: { name: 'relax', version: 'test' },
    model: { name: 'test', source: 'test.onnx', sha256: '' },
    target,
    pipeline: { name: 'test', resolvedFrom: 'test', reason: 'test', stages: [] },
    inputs: [], outputs: [],
    kernels: res.kernels,
    program: 'program.json', weights: 'weights.safetensors',
    kernelFiles: res.kernelFiles,
    files: [],
  };
  return { dir, manifest };
}

/** True when the tests needing `tool` must run: the tool is there, or CI is set (then a missing tool fails). */
export function mustRun(available: boolean, tool: string): boolean {
  if (available || process.env.CI) return true;
  console.warn(`skipping: ${tool} is not available here (set CI=1 to make this a failure)`);
  return false;
}
