import { describe, expect, test } from 'vitest';
import type { IRModule, StructInfo } from '../../src/compiler/ir/types.js';
import { printModule } from '../../src/compiler/ir/printer.js';
import { cumsumKernel, topkKernel } from '../../src/compiler/ops/sort-scan-kernels.js';
import type { TensorInfo } from '../../src/compiler/ops/shape-util.js';
import { int, ivar } from '../../src/compiler/tir/expr.js';
import { interpretPrimFunc } from '../../src/compiler/tir/interpret.js';
import { dispatchSortScan } from '../../src/compiler/transform/dispatch-sort-scan.js';
import type { DType, Stmt } from '../../src/compiler/tir/types.js';
import { DTYPE_BYTES } from '../../src/formats/dtype.js';
import { fromTyped, numel, toNumbers, type HostTensor } from '../../src/formats/tensor.js';

const T = (dtype: DType, shape: (number | string)[]): TensorInfo => ({ k: 'tensor', dtype, shape: shape.map((d) => (typeof d === 'number' ? int(d) : ivar(d))) });
const zeros = (dtype: DType, shape: number[]): HostTensor => ({ dtype, shape, data: new Uint8Array(numel(shape) * DTYPE_BYTES[dtype]) });

/** numpy-style reference cumsum. */
function refCumsum(x: number[], dims: number[], axis: number, exclusive: boolean, reverse: boolean): number[] {
  const out = new Array<number>(x.length).fill(0);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1), len = dims[axis]!, outer = x.length / (len * inner);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
    let acc = 0;
    for (let jj = 0; jj < len; jj++) {
      const j = reverse ? len - 1 - jj : jj;
      const f = (o * len + j) * inner + i;
      if (exclusive) { out[f] = acc; acc += x[f]!; } else { acc += x[f]!; out[f] = acc; }
    }
  }
  return out;
}

describe('cumsum kernel', () => {
  const dims = [2, 3, 4];
  const xs = Array.from({ length: 24 }, (_, i) => (i * 7) % 11 - 5);
  const x = fromTyped('int32', dims, new Int32Array(xs));
  for (const axisDtype of ['int32', 'int64'] as const) {
    for (const axis of [0, 1, 2, -1, -3]) {
      for (const [exclusive, reverse] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        test(`axis ${axis} (${axisDtype}) exclusive=${exclusive} reverse=${reverse}`, () => {
          const fn = cumsumKernel('cumsum', T('int32', ['a', 3, 4]), T(axisDtype, []), { exclusive, reverse });
          const ax = axisDtype === 'int32' ? fromTyped('int32', [], new Int32Array([axis])) : fromTyped('int64', [], new BigInt64Array([BigInt(axis)]));
          const y = zeros('int32', dims);
          interpretPrimFunc(fn, [x, ax, y], { a: 2 });
          expect(toNumbers(y)).toEqual(refCumsum(xs, dims, (axis + 3) % 3, exclusive, reverse));
        });
      }
    }
  }
  test('one outer serial loop over rows, local accumulator', () => {
    const fn = cumsumKernel('cumsum', T('float32', [5]), T('int32', []), { exclusive: false, reverse: false });
    const kinds: string[] = [];
    const walk = (s: Stmt): void => {
      if (s.k === 'for') { kinds.push(s.kind); walk(s.body); }
      else if (s.k === 'seq') s.body.forEach(walk);
      else if (s.k === 'let' || s.k === 'alloc') { if (s.k === 'alloc') { expect(s.buffer.scope).toBe('local'); expect(s.buffer.shape).toEqual([]); } walk(s.body); }
      else if (s.k === 'if') walk(s.then);
    };
    walk(fn.body);
    expect(kinds).toEqual(['serial', 'serial']);
  });
});

describe('topk kernel', () => {
  test('largest and smallest along a middle axis with ties (lower index first)', () => {
    const dims = [2, 5, 3];
    const xs = Array.from({ length: 30 }, (_, i) => ((i * 5) % 7) - 3);
    const x = fromTyped('float32', dims, new Float32Array(xs));
    for (const largest of [true, false]) {
      const fn = topkKernel('topk', T('float32', dims), T('float32', [2, 'k', 3]), { axis: 1, largest });
      expect(fn.vars).toEqual(['k']);
      const v = zeros('float32', [2, 3, 3]), ix = zeros('int64', [2, 3, 3]);
      interpretPrimFunc(fn, [x, v, ix], { k: 3 });
      const wantV: number[] = new Array(18), wantI: number[] = new Array(18);
      for (let o = 0; o < 2; o++) for (let i = 0; i < 3; i++) {
        const col = [0, 1, 2, 3, 4].map((t) => ({ t, val: xs[o * 15 + t * 3 + i]! }));
        col.sort((a, b) => (largest ? b.val - a.val : a.val - b.val) || a.t - b.t);
        for (let j = 0; j < 3; j++) { wantV[o * 9 + j * 3 + i] = col[j]!.val; wantI[o * 9 + j * 3 + i] = col[j]!.t; }
      }
      expect(toNumbers(v)).toEqual(wantV);
      expect(toNumbers(ix)).toEqual(wantI);
    }
  });
  test('local names never shadow symbolic dims', () => {
    const fn = topkKernel('topk', T('float32', ['r', 't']), T('float32', ['r', 2]), { axis: 1, largest: true });
    const x = fromTyped('float32', [2, 3], new Float32Array([1, 3, 2, 9, 8, 7]));
    const v = zeros('float32', [2, 2]), ix = zeros('int64', [2, 2]);
    interpretPrimFunc(fn, [x, v, ix], { r: 2, t: 3 });
    expect(toNumbers(v)).toEqual([3, 2, 9, 8]);
    expect(toNumbers(ix)).toEqual([1, 2, 0, 1]);
  });
});

describe('DispatchSortScan pass', () => {
  const x: StructInfo = T('float32', ['n', 4]);
  const tk: StructInfo = { k: 'tuple', fields: [T('float32', ['n', 2]), T('int64', ['n', 2])] };
  const mod: IRModule = {
    functions: {
      main: {
        k: 'graph_func', name: 'main', params: [{ name: 'x', sinfo: x }, { name: 'ax', sinfo: T('int32', []) }],
        blocks: [{
          dataflow: true, bindings: [
            { var: 'c', value: { k: 'op', op: 'cumsum', args: [{ k: 'var', name: 'x' }, { k: 'var', name: 'ax' }], attrs: { exclusive: false, reverse: false } }, sinfo: x, origin: { node: 'cs', op: 'CumSum', opset: 14 } },
            { var: 'c2', value: { k: 'op', op: 'cumsum', args: [{ k: 'var', name: 'c' }, { k: 'var', name: 'ax' }], attrs: { exclusive: false, reverse: false } }, sinfo: x, origin: { node: 'cs2', op: 'CumSum', opset: 14 } },
            { var: 't', value: { k: 'op', op: 'topk', args: [{ k: 'var', name: 'c2' }, { k: 'shape', values: [int(2)] }], attrs: { axis: 1, largest: true, sorted: true } }, sinfo: tk },
            { var: 'v', value: { k: 'tuple_get', tuple: { k: 'var', name: 't' }, index: 0 }, sinfo: (tk as { readonly fields: readonly StructInfo[] }).fields[0]! },
          ],
        }],
        ret: [{ k: 'var', name: 'v' }], retNames: ['v'],
      },
    },
    tir: {}, constants: {}, attrs: {},
  };
  const ctx = { target: { kind: 'cpu' } as never, model: 'm', note() {} };
  test('replaces cumsum/topk with call_tir, shares identical kernels, keeps origins', () => {
    const out = dispatchSortScan.run(mod, ctx);
    const b = out.functions.main!.blocks[0]!.bindings;
    expect(b.map((x) => x.value.k)).toEqual(['call_tir', 'call_tir', 'call_tir', 'tuple_get']);
    expect(Object.keys(out.tir).sort()).toEqual(['cumsum', 'topk']);
    expect(out.tir.cumsum!.attrs.origin).toEqual(["CumSum 'cs'", "CumSum 'cs2'"]);
    expect(b[2]!.value).toEqual({ k: 'call_tir', fn: 'topk', args: [{ k: 'var', name: 'c2' }], out: tk });
    expect(printModule(out)).toContain('R.call_tir(topk, (c2,)');
    // no-op on a module without those ops
    expect(dispatchSortScan.run(out, ctx)).toBe(out);
    // input module untouched
    expect(mod.functions.main!.blocks[0]!.bindings[0]!.value.k).toBe('op');
  });
});
