/** Data-movement ops (concat, strided_slice, pad, tile, broadcast_to, take, gather_elements, trilu, full, range,
 * shape_to_tensor, resize): legalized and run with the TIR interpreter against plain JS references. */
import { describe, expect, test } from 'vitest';
import type { Attrs, StructInfo } from '../../src/compiler/ir/types.js';
import { getOp } from '../../src/compiler/ops/registry.js';
import { interpretPrimFunc } from '../../src/compiler/tir/interpret.js';
import { add, int, ivar, mul } from '../../src/compiler/tir/expr.js';
import type { DType, Expr } from '../../src/compiler/tir/types.js';
import { DTYPE_BYTES } from '../../src/formats/dtype.js';
import { fromTyped, numel, toNumbers, type HostTensor } from '../../src/formats/tensor.js';
import { axisTaps } from '../../src/compiler/frontend/onnx/converters/resize-taps.js';
import { tensorFromNumbers } from '../../src/compiler/frontend/onnx/tensor-values.js';

const dims = (shape: (number | string)[]): Expr[] => shape.map((d) => (typeof d === 'number' ? int(d) : ivar(d)));
const T = (dtype: DType, shape: (number | string)[]): StructInfo => ({ k: 'tensor', dtype, shape: dims(shape) });
const S = (values: Expr[]): StructInfo => ({ k: 'shape', values });
const f32 = (shape: number[]) => fromTyped('float32', shape, Float32Array.from({ length: numel(shape) }, (_, i) => i + 1));
const i64 = (v: number[], shape = [v.length]) => fromTyped('int64', shape, new BigInt64Array(v.map(BigInt)));
const info = (t: HostTensor): StructInfo => T(t.dtype, t.shape);

/** Infers, legalizes and interprets `op`; tensors are given for tensor args, `null` where a shape arg stands. */
function run(op: string, args: StructInfo[], ins: HostTensor[], attrs: Attrs, vars: Record<string, number> = {}): HostTensor {
  const def = getOp(op);
  const out = def.infer(args, attrs);
  if (out.k !== 'tensor') throw new Error('tensor expected');
  const fn = def.legalize!({ name: `k_${op}`, args, out, attrs });
  const shape = out.shape.map((e) => (e.k === 'int' ? e.value : vars[(e as { name: string }).name]!));
  const o: HostTensor = { dtype: out.dtype, shape, data: new Uint8Array(numel(shape) * DTYPE_BYTES[out.dtype]) };
  interpretPrimFunc(fn, [...ins, o], vars);
  return o;
}

/** Row-major reader of a JS array with a shape. */
const reader = (v: number[], shape: number[]) => (idx: number[]) => v[idx.reduce((a, x, i) => a * shape[i]! + x, 0)]!;
function each(shape: number[], f: (idx: number[]) => number): number[] {
  const out: number[] = [];
  for (let k = 0; k < numel(shape); k++) {
    let r = k;
    const idx = shape.map(() => 0);
    for (let i = shape.length - 1; i >= 0; i--) { idx[i] = r % shape[i]!; r = Math.floor(r / shape[i]!); }
    out.push(f(idx));
  }
  return out;
}

describe('data-movement ops', () => {
  test('concat along a middle axis, with a symbolic leading dim', () => {
    const a = f32([2, 1, 3]), b = f32([2, 2, 3]);
    const o = run('concat', [T('float32', ['n', 1, 3]), T('float32', ['n', 2, 3])], [a, b], { axis: 1 }, { n: 2 });
    const ra = reader(toNumbers(a), [2, 1, 3]), rb = reader(toNumbers(b), [2, 2, 3]);
    expect(o.shape).toEqual([2, 3, 3]);
    expect(toNumbers(o)).toEqual(each([2, 3, 3], ([i, j, k]) => (j! < 1 ? ra([i!, j!, k!]) : rb([i!, j! - 1, k!]))));
  });

  test('strided_slice with a negative step and a symbolic begin', () => {
    const x = f32([4, 6]);
    // x[:, n-1 : : -2] for n = 6 → columns 5, 3, 1
    const o = run('strided_slice', [T('float32', [4, 'n']), S([int(0), add(ivar('n'), int(-1))]), S([int(4), int(3)])], [x], { steps: [1, -2] }, { n: 6 });
    const r = reader(toNumbers(x), [4, 6]);
    expect(toNumbers(o)).toEqual(each([4, 3], ([i, j]) => r([i!, 5 - 2 * j!])));
  });

  test.each(['constant', 'edge', 'reflect', 'wrap'] as const)('pad mode %s', (mode) => {
    const x = f32([3, 4]);
    const pads = [2, 1, 1, 3];
    const o = run('pad', [info(x)], [x], { pads, mode, value: -7 });
    const r = reader(toNumbers(x), [3, 4]);
    const src = (i: number, d: number): number | null => {
      if (i >= 0 && i < d) return i;
      if (mode === 'constant') return null;
      if (mode === 'edge') return Math.min(Math.max(i, 0), d - 1);
      if (mode === 'wrap') return ((i % d) + d) % d;
      let k = i;
      while (k < 0 || k >= d) k = k < 0 ? -k : 2 * (d - 1) - k;
      return k;
    };
    expect(o.shape).toEqual([6, 8]);
    expect(toNumbers(o)).toEqual(each([6, 8], ([i, j]) => {
      const a = src(i! - 2, 3), b = src(j! - 1, 4);
      return a === null || b === null ? -7 : r([a, b]);
    }));
  });

  test('tile and broadcast_to', () => {
    const x = f32([2, 3]);
    const r = reader(toNumbers(x), [2, 3]);
    expect(toNumbers(run('tile', [info(x)], [x], { repeats: [2, 2] }))).toEqual(each([4, 6], ([i, j]) => r([i! % 2, j! % 3])));
    const y = f32([3, 1]);
    const o = run('broadcast_to', [T('float32', [3, 1]), S([ivar('b'), int(3), int(4)])], [y], {}, { b: 2 });
    expect(o.shape).toEqual([2, 3, 4]);
    expect(toNumbers(o)).toEqual(each([2, 3, 4], ([, j]) => j! + 1));
  });

  test('take with negative and scalar-shaped indices, gather_elements with negative indices', () => {
    const x = f32([3, 4]);
    const r = reader(toNumbers(x), [3, 4]);
    const ind = i64([-1, 0, 2, -4], [2, 2]);
    const o = run('take', [info(x), info(ind)], [x, ind], { axis: 1 });
    expect(o.shape).toEqual([3, 2, 2]);
    expect(toNumbers(o)).toEqual(each([3, 2, 2], ([i, a, b]) => r([i!, [3, 0, 2, 0][a! * 2 + b!]!])));
    const ge = i64([-1, 0, 1, -3, 2, 2], [2, 3]);
    const g = run('gather_elements', [info(x), info(ge)], [x, ge], { axis: 0 });
    expect(toNumbers(g)).toEqual(each([2, 3], ([i, j]) => r([[2, 0, 1, 0, 2, 2][i! * 3 + j!]!, j!])));
  });

  test('trilu with a runtime k tensor and with an attribute', () => {
    const x = f32([2, 3, 4]);
    const r = reader(toNumbers(x), [2, 3, 4]);
    const k = i64([-1], []);
    expect(toNumbers(run('trilu', [info(x), info(k)], [x, k], { upper: true }))).toEqual(each([2, 3, 4], ([b, i, j]) => (j! - i! >= -1 ? r([b!, i!, j!]) : 0)));
    expect(toNumbers(run('trilu', [info(x)], [x], { upper: false, k: 1 }))).toEqual(each([2, 3, 4], ([b, i, j]) => (j! - i! <= 1 ? r([b!, i!, j!]) : 0)));
  });

  test('full, range and shape_to_tensor over symbolic vars', () => {
    expect(toNumbers(run('full', [S([ivar('n'), int(2)])], [], { dtype: 'int32', value: 7 }, { n: 3 }))).toEqual([7, 7, 7, 7, 7, 7]);
    const rg = run('range', [S([int(10), int(-3), ivar('n')])], [], { dtype: 'int64' }, { n: 4 });
    expect(toNumbers(rg)).toEqual([10, 7, 4, 1]);
    const st = run('shape_to_tensor', [S([ivar('b'), mul(ivar('s'), int(4)), int(64)])], [], { dtype: 'int64', shape: [3] }, { b: 2, s: 5 });
    expect(toNumbers(st)).toEqual([2, 20, 64]);
  });

  test('resize: bilinear half_pixel tables against a direct computation, and nearest with extrapolation', () => {
    const x = f32([1, 2, 3]);
    const opts = { mode: 'linear' as const, coord: 'half_pixel' as const, nearest: 'round_prefer_floor' as const, cubicA: -0.75, excludeOutside: false, antialias: false };
    const th = axisTaps({ inLen: 2, outLen: 4, scale: 2 }, opts), tw = axisTaps({ inLen: 3, outLen: 5, scale: 5 / 3 }, opts);
    const tab = (t: ReturnType<typeof axisTaps>) => [tensorFromNumbers('int32', [t.idx.length, 2], t.idx.flat()), tensorFromNumbers('float32', [t.w.length, 2], t.w.flat())];
    const ins = [x, ...tab(th), ...tab(tw)];
    const o = run('resize', ins.map(info), ins, { axes: [1, 2], weighted: true, extrapolate: false, value: 0 });
    const r = reader(toNumbers(x), [1, 2, 3]);
    const lin = (c: number, n: number): [number, number, number] => {
      const cc = Math.min(Math.max(c, 0), n - 1), f = Math.floor(cc);
      return [f, Math.min(f + 1, n - 1), cc - f];
    };
    const want = each([1, 4, 5], ([, i, j]) => {
      const [y0, y1, fy] = lin((i! + 0.5) / 2 - 0.5, 2), [x0, x1, fx] = lin((j! + 0.5) / (5 / 3) - 0.5, 3);
      return (1 - fy) * ((1 - fx) * r([0, y0, x0]) + fx * r([0, y0, x1])) + fy * ((1 - fx) * r([0, y1, x0]) + fx * r([0, y1, x1]));
    });
    toNumbers(o).forEach((v, k) => expect(v).toBeCloseTo(want[k]!, 5));

    const tn = axisTaps({ inLen: 3, outLen: 3, scale: 1, roi: [0.5, 1.5] }, { ...opts, mode: 'nearest', coord: 'tf_crop_and_resize' });
    expect(tn.inside).toEqual([1, 1, 0]);
    const nins = [x, tensorFromNumbers('int32', [3, 1], tn.idx.flat()), tensorFromNumbers('float32', [3], tn.inside)];
    const n = run('resize', nins.map(info), nins, { axes: [2], weighted: false, extrapolate: true, value: -1 });
    expect(toNumbers(n)).toEqual(each([1, 2, 3], ([, i, j]) => (j === 2 ? -1 : r([0, i!, tn.idx[j!]![0]!]))));
  });
});
