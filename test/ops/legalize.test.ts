/** Every legalization checked numerically with the TIR interpreter (symbolic shapes included). */
import { describe, expect, test } from 'vitest';
import { isRelaxError } from '../../src/diagnostics/index.js';
import type { Attrs, StructInfo } from '../../src/compiler/ir/types.js';
import { getOp, hasOp } from '../../src/compiler/ops/registry.js';
import { interpretPrimFunc } from '../../src/compiler/tir/interpret.js';
import { int, ivar } from '../../src/compiler/tir/expr.js';
import { printPrimFunc } from '../../src/compiler/tir/printer.js';
import type { DType, PrimFunc, Stmt } from '../../src/compiler/tir/types.js';
import { DTYPE_BYTES } from '../../src/formats/dtype.js';
import { fromTyped, numel, toNumbers, type HostTensor } from '../../src/formats/tensor.js';

const T = (dtype: DType, shape: (number | string)[]): StructInfo => ({ k: 'tensor', dtype, shape: shape.map((d) => (typeof d === 'number' ? int(d) : ivar(d))) });
const zeros = (dtype: DType, shape: number[]): HostTensor => ({ dtype, shape, data: new Uint8Array(numel(shape) * DTYPE_BYTES[dtype]) });
const f32 = (shape: number[], f: (i: number) => number = (i) => Math.sin(i * 0.7) * 4) =>
  fromTyped('float32', shape, Float32Array.from({ length: numel(shape) }, (_, i) => f(i)));

/** Legalizes `op` for the given (possibly symbolic) arg infos and runs it on concrete tensors. */
function run(op: string, args: StructInfo[], attrs: Attrs, ins: HostTensor[], vars: Record<string, number> = {}): { out: HostTensor; fn: PrimFunc } {
  const def = getOp(op);
  const out = def.infer(args, attrs);
  const fn = def.legalize!({ name: `k_${op}`, args, out, attrs });
  if (out.k !== 'tensor') throw new Error('tensor out expected');
  const shape = out.shape.map((e) => (e.k === 'int' ? e.value : vars[(e as { name: string }).name]!));
  const o = zeros(out.dtype, shape);
  interpretPrimFunc(fn, [...ins, o], vars);
  return { out: o, fn };
}

function close(a: readonly number[], b: readonly number[], tol = 1e-5): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => expect(Math.abs(x - b[i]!), `element ${i}: ${x} vs ${b[i]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i]!))));
}

function walk(s: Stmt, f: (s: Stmt) => void): void {
  f(s);
  switch (s.k) {
    case 'seq': s.body.forEach((b) => walk(b, f)); break;
    case 'for': case 'let': case 'alloc': walk(s.body, f); break;
    case 'block': if (s.init) walk(s.init, f); walk(s.body, f); break;
    case 'if': walk(s.then, f); if (s.else) walk(s.else, f); break;
    default: break;
  }
}

describe('registry', () => {
  test('ops, patterns and which ops must be dispatched', () => {
    for (const op of ['matmul', 'transpose', 'add', 'mul', 'relu', 'clip', 'softmax', 'reshape', 'identity', 'cumsum', 'topk', 'tensor_to_shape']) expect(hasOp(op)).toBe(true);
    expect(getOp('cumsum').legalize).toBeUndefined();
    expect(getOp('topk').legalize).toBeUndefined();
    expect(getOp('tensor_to_shape').legalize).toBeUndefined();
    expect(getOp('matmul').pattern({})).toBe('out_elementwise_fusable');
    expect(getOp('add').pattern({})).toBe('broadcast');
    expect(getOp('softmax').pattern({})).toBe('comm_reduce');
    expect(getOp('reshape').pattern({})).toBe('injective');
    expect(getOp('clip').pattern({})).toBe('elementwise');
    expect(hasOp('conv2d')).toBe(false);
  });
});

describe('legalization numerics', () => {
  test('add with symbolic broadcasting [n,1,4] + [3,1]', () => {
    const a = f32([2, 1, 4]), b = f32([3, 1], (i) => i * 10);
    const { out, fn } = run('add', [T('float32', ['n', 1, 4]), T('float32', [3, 1])], {}, [a, b], { n: 2 });
    expect(out.shape).toEqual([2, 3, 4]);
    expect(fn.vars).toEqual(['n']);
    expect(fn.attrs.pattern).toBe('broadcast');
    const A = toNumbers(a), want: number[] = [];
    for (let n = 0; n < 2; n++) for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) want.push(Math.fround(A[n * 4 + j]! + i * 10));
    close(toNumbers(out), want);
  });
  test('mul int16 wraps like numpy', () => {
    const a = fromTyped('int16', [3], new Int16Array([300, -7, 2])), b = fromTyped('int16', [3], new Int16Array([300, 3, -2]));
    const { out } = run('mul', [T('int16', [3]), T('int16', [3])], {}, [a, b]);
    expect(toNumbers(out)).toEqual([(300 * 300 << 16) >> 16, -21, -4]);
  });
  test('relu, clip (with null bound), identity', () => {
    const x = f32([7], (i) => i - 3);
    expect(toNumbers(run('relu', [T('float32', [7])], {}, [x]).out)).toEqual([0, 0, 0, 0, 1, 2, 3]);
    expect(toNumbers(run('clip', [T('float32', [7])], { min: -1, max: 2 }, [x]).out)).toEqual([-1, -1, -1, 0, 1, 2, 2]);
    expect(toNumbers(run('clip', [T('float32', [7])], { min: null, max: 0 }, [x]).out)).toEqual([-3, -2, -1, 0, 0, 0, 0]);
    expect(toNumbers(run('identity', [T('float32', [7])], {}, [x]).out)).toEqual(toNumbers(x));
  });
  test('matmul: vector x batched matrix, matrix x vector', () => {
    const a = f32([4]), b = f32([2, 4, 3], (i) => i % 5 - 2);
    const { out } = run('matmul', [T('float32', [4]), T('float32', ['g', 4, 3])], {}, [a, b], { g: 2 });
    expect(out.shape).toEqual([2, 3]);
    const A = toNumbers(a), B = toNumbers(b), want: number[] = [];
    for (let g = 0; g < 2; g++) for (let j = 0; j < 3; j++) { let s = 0; for (let k = 0; k < 4; k++) s += A[k]! * B[g * 12 + k * 3 + j]!; want.push(s); }
    close(toNumbers(out), want);
    const { out: mv } = run('matmul', [T('float32', [3, 4]), T('float32', [4])], {}, [f32([3, 4]), a]);
    expect(mv.shape).toEqual([3]);
  });
  test('matmul block structure: spatial + reduce iters with identity bindings and init', () => {
    const def = getOp('matmul');
    const args = [T('float32', ['m', 8]), T('float32', [8, 5])];
    const fn = def.legalize!({ name: 'mm', args, out: def.infer(args, {}), attrs: {} });
    const blocks: Extract<Stmt, { k: 'block' }>[] = [];
    const loops: string[] = [];
    walk(fn.body, (s) => { if (s.k === 'block') blocks.push(s); if (s.k === 'for') { loops.push(s.var); expect(s.kind).toBe('serial'); } });
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!.iters.map((i) => i.type)).toEqual(['spatial', 'spatial', 'reduce']);
    expect(blocks[0]!.bindings).toEqual(loops.map((l) => ivar(l)));
    expect(blocks[0]!.init).toBeDefined();
    expect(fn.params.map((p) => p.name)).toEqual(['A', 'B', 'matmul']);
    expect(fn.vars).toEqual(['m']);
    expect(printPrimFunc(fn)).toContain('with T.init():');
  });
  test('transpose with perm', () => {
    const x = f32([2, 3, 4], (i) => i);
    const { out } = run('transpose', [T('float32', [2, 3, 4])], { perm: [2, 0, 1] }, [x]);
    expect(out.shape).toEqual([4, 2, 3]);
    const want: number[] = [];
    for (let c = 0; c < 4; c++) for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) want.push(a * 12 + b * 4 + c);
    expect(toNumbers(out)).toEqual(want);
  });
  test('reshape keeps row-major order with symbolic dims', () => {
    const x = f32([3, 4], (i) => i);
    const args: StructInfo[] = [T('float32', ['b', 4]), { k: 'shape', values: [int(2), ivar('b'), int(2)] }];
    const { out, fn } = run('reshape', args, {}, [x], { b: 3 });
    expect(out.shape).toEqual([2, 3, 2]);
    expect(toNumbers(out)).toEqual(toNumbers(x));
    expect(fn.params).toHaveLength(2); // the shape argument is not a buffer
  });
  test('softmax: three blocks, two allocated intermediates, exact against a reference (large values)', () => {
    const x = f32([3, 4, 5], (i) => (i % 7) * 30 - 50);
    for (const axis of [0, 1, -1]) {
      const { out, fn } = run('softmax', [T('float32', [3, 4, 5])], { axis }, [x]);
      const ax = (axis + 3) % 3;
      const dims = [3, 4, 5], st = [20, 5, 1];
      const X = toNumbers(x), want = new Array<number>(60);
      for (let f = 0; f < 60; f++) {
        const idx = [Math.floor(f / 20), Math.floor(f / 5) % 4, f % 5];
        const vals: number[] = [];
        for (let k = 0; k < dims[ax]!; k++) vals.push(X[f + (k - idx[ax]!) * st[ax]!]!);
        const mx = Math.max(...vals), s = vals.reduce((a, v) => a + Math.exp(v - mx), 0);
        want[f] = Math.exp(X[f]! - mx) / s;
      }
      close(toNumbers(out), want, 1e-5);
      let blocks = 0, allocs = 0;
      walk(fn.body, (s) => { if (s.k === 'block') blocks++; if (s.k === 'alloc') allocs++; });
      expect([blocks, allocs]).toEqual([3, 2]);
    }
  });
  test('softmax on float64 and float16', () => {
    for (const dt of ['float64', 'float16'] as const) {
      const x = dt === 'float64' ? fromTyped(dt, [4], new Float64Array([1, 2, 3, 4])) : fromTyped(dt, [4], new Uint16Array([0x3c00, 0x4000, 0x4200, 0x4400]));
      const { out } = run('softmax', [T(dt, [4])], { axis: 0 }, [x]);
      const e = [1, 2, 3, 4].map((v) => Math.exp(v - 4)), s = e.reduce((a, b) => a + b);
      close(toNumbers(out), e.map((v) => v / s), dt === 'float16' ? 2e-3 : 1e-12);
    }
  });
});

describe('shape inference', () => {
  const err = (fn: () => unknown) => {
    try { fn(); } catch (e) { if (isRelaxError(e)) return e.diagnostic; throw e; }
    throw new Error('expected an error');
  };
  test('mismatches are RLX_SHAPE_MISMATCH naming the shapes', () => {
    const d = err(() => getOp('matmul').infer([T('float32', [2, 3]), T('float32', [4, 5])], {}));
    expect(d.code).toBe('RLX_SHAPE_MISMATCH');
    expect(d.message).toContain('[2, 3]');
    expect(d.message).toContain('[4, 5]');
    expect(err(() => getOp('add').infer([T('float32', ['a']), T('float32', ['b'])], {})).message).toContain('different symbols');
    expect(err(() => getOp('add').infer([T('float32', [2]), T('int32', [2])], {})).code).toBe('RLX_SHAPE_MISMATCH');
    expect(err(() => getOp('reshape').infer([T('float32', [2, 3]), { k: 'shape', values: [int(5)] }], {})).message).toContain('6 elements');
    expect(err(() => getOp('transpose').infer([T('float32', [2, 3])], { perm: [0, 0] })).code).toBe('RLX_SHAPE_MISMATCH');
    expect(err(() => getOp('topk').infer([T('float32', [3]), { k: 'shape', values: [int(4)] }], { axis: 0 })).code).toBe('RLX_SHAPE_MISMATCH');
  });
  test('symbolic results', () => {
    const s = getOp('add').infer([T('float32', ['batch', 1]), T('float32', [7])], {});
    expect(s).toEqual(T('float32', ['batch', 7]));
    expect(getOp('topk').infer([T('float32', ['n', 9]), { k: 'shape', values: [ivar('kk')] }], { axis: -1 }))
      .toEqual({ k: 'tuple', fields: [T('float32', ['n', 'kk']), T('int64', ['n', 'kk'])] });
    expect(getOp('tensor_to_shape').infer([T('int64', [1])], { vars: ['topk_k0'] })).toEqual({ k: 'shape', values: [ivar('topk_k0')] });
    expect(getOp('cumsum').infer([T('float32', ['n']), T('int32', [])], {})).toEqual(T('float32', ['n']));
  });
});

