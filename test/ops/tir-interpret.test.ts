/** The TIR interpreter and printer on hand-written functions covering every statement kind. */
import { describe, expect, test } from 'vitest';
import { add, and, call, cast, cmp, float, floordiv, floormod, int, ivar, load, mul, select, sub } from '../../src/compiler/tir/expr.js';
import { floatToHalf, interpretPrimFunc } from '../../src/compiler/tir/interpret.js';
import { printPrimFunc } from '../../src/compiler/tir/printer.js';
import type { Buffer, PrimFunc, Stmt } from '../../src/compiler/tir/types.js';
import { fromTyped, halfToFloat, toNumbers } from '../../src/formats/tensor.js';

const buf = (name: string, dtype: Buffer['dtype'], shape: Buffer['shape'], scope: Buffer['scope'] = 'global'): Buffer => ({ name, dtype, shape, scope });

describe('interpreter', () => {
  // Y[i] = (i odd ? exp(X[i]) : -X[i]) summed over a split loop with a predicate, via a local accumulator
  const n = ivar('n');
  const X = buf('X', 'float32', [n]), Y = buf('Y', 'float32', [n]), Z = buf('Z', 'int32', [n]);
  const acc = buf('acc', 'float32', [], 'local');
  const body: Stmt = {
    k: 'seq', body: [
      {
        k: 'for', var: 'bx', extent: floordiv(add(n, int(3)), int(4)), kind: 'thread', thread: 'blockIdx.x',
        body: {
          k: 'for', var: 'tx', extent: int(4), kind: 'thread', thread: 'threadIdx.x',
          body: {
            k: 'block', name: 'Y', iters: [{ name: 'vi', extent: n, type: 'spatial' }],
            bindings: [add(mul(ivar('bx'), int(4)), ivar('tx'))],
            predicate: cmp('lt', add(mul(ivar('bx'), int(4)), ivar('tx')), n),
            body: {
              k: 'let', var: 'odd', value: cmp('eq', floormod(ivar('vi'), int(2)), int(1)),
              body: {
                k: 'store', buffer: 'Y', indices: [ivar('vi')],
                value: select({ k: 'var', name: 'odd', dtype: 'bool' }, call('exp', [load('X', [ivar('vi')], 'float32')], 'float32'), call('neg', [load('X', [ivar('vi')], 'float32')], 'float32')),
              },
            },
          },
        },
      },
      {
        k: 'alloc', buffer: acc, body: {
          k: 'seq', body: [
            { k: 'store', buffer: 'acc', indices: [], value: float(0) },
            {
              k: 'for', var: 'i', extent: n, kind: 'unrolled', body: {
                k: 'seq', body: [
                  { k: 'store', buffer: 'acc', indices: [], value: add(load('acc', [], 'float32'), load('Y', [ivar('i')], 'float32')) },
                  {
                    k: 'if', cond: and(cmp('ge', load('acc', [], 'float32'), float(0)), cmp('ne', ivar('i'), int(0))),
                    then: { k: 'store', buffer: 'Z', indices: [ivar('i')], value: cast(load('acc', [], 'float32'), 'int32') },
                    else: { k: 'store', buffer: 'Z', indices: [ivar('i')], value: int(-1, 'int32') },
                  },
                ],
              },
            },
          ],
        },
      },
    ],
  };
  const fn: PrimFunc = { k: 'prim_func', name: 'mixed', params: [X, Y, Z], vars: ['n'], body, attrs: { pattern: 'opaque' } };

  test('runs loops of every kind, predicates, let, select, alloc, if/else and casts', () => {
    const xs = [0.5, 1, -2, 0.25, 3, -1];
    const x = fromTyped('float32', [6], new Float32Array(xs));
    const y = fromTyped('float32', [6], new Float32Array(6)), z = fromTyped('int32', [6], new Int32Array(6));
    interpretPrimFunc(fn, [x, y, z], { n: 6 });
    const wantY = xs.map((v, i) => Math.fround(i % 2 ? Math.exp(v) : -v));
    expect(toNumbers(y)).toEqual(wantY);
    let a = 0;
    const wantZ = wantY.map((v, i) => { a = Math.fround(a + v); return a >= 0 && i !== 0 ? Math.trunc(a) : -1; });
    expect(toNumbers(z)).toEqual(wantZ);
  });
  test('symbolic vars can come from argument shapes; mismatched shapes are reported', () => {
    const x = fromTyped('float32', [3], new Float32Array([1, 2, 3]));
    const y = fromTyped('float32', [3], new Float32Array(3)), z = fromTyped('int32', [3], new Int32Array(3));
    interpretPrimFunc(fn, [x, y, z], {});
    expect(toNumbers(y)[1]).toBeCloseTo(Math.exp(2), 5);
    expect(() => interpretPrimFunc(fn, [x, y, fromTyped('int32', [4], new Int32Array(4))], {})).toThrow(/shape \[3\], got \[4\]/);
  });
  test('out-of-bounds accesses throw', () => {
    const bad: PrimFunc = {
      k: 'prim_func', name: 'oob', params: [buf('A', 'float32', [int(2)])], vars: [], attrs: {},
      body: { k: 'for', var: 'i', extent: int(3), kind: 'serial', body: { k: 'store', buffer: 'A', indices: [ivar('i')], value: float(1) } },
    };
    expect(() => interpretPrimFunc(bad, [fromTyped('float32', [2], new Float32Array(2))])).toThrow(/out of bounds/);
  });
  test('init runs when all reduce iters are 0; int64 and float16 buffers', () => {
    const A = buf('A', 'float16', [int(2), int(3)]), S = buf('S', 'int64', [int(2)]);
    const red: PrimFunc = {
      k: 'prim_func', name: 'sum', params: [A, S], vars: [], attrs: {},
      body: {
        k: 'for', var: 'i', extent: int(2), kind: 'parallel', body: {
          k: 'for', var: 'k', extent: int(3), kind: 'vectorized', body: {
            k: 'block', name: 'S', iters: [{ name: 'vi', extent: int(2), type: 'spatial' }, { name: 'vk', extent: int(3), type: 'reduce' }],
            bindings: [ivar('i'), ivar('k')],
            init: { k: 'store', buffer: 'S', indices: [ivar('vi')], value: int(100) },
            body: { k: 'store', buffer: 'S', indices: [ivar('vi')], value: add(load('S', [ivar('vi')], 'int64'), cast(mul(load('A', [ivar('vi'), ivar('vk')], 'float16'), { k: 'float', value: 2, dtype: 'float16' }), 'int64')) },
          },
        },
      },
    };
    const a = fromTyped('float16', [2, 3], new Uint16Array([1, 2, 3, 4, 5, 6.5].map(floatToHalf)));
    const s = fromTyped('int64', [2], new BigInt64Array(2));
    interpretPrimFunc(red, [a, s]);
    expect(toNumbers(s)).toEqual([112, 100 + 8 + 10 + 13]);
  });
  test('floatToHalf round-trips and rounds to nearest even', () => {
    for (const v of [0, 1, -2.5, 65504, 6.1035156e-5, 5.96e-8, 1234]) expect(halfToFloat(floatToHalf(v))).toBeCloseTo(v, 3);
    expect([1234.5, 1235.5].map((v) => halfToFloat(floatToHalf(v)))).toEqual([1234, 1236]);
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(floatToHalf(1e6)).toBe(0x7c00);
  });
  test('integer semantics: floordiv/floormod round towards -inf, int32 wraps', () => {
    const O = buf('O', 'int32', [int(3)]);
    const f: PrimFunc = {
      k: 'prim_func', name: 'ints', params: [O], vars: [], attrs: {},
      body: {
        k: 'seq', body: [
          { k: 'store', buffer: 'O', indices: [int(0)], value: { k: 'bin', op: 'floordiv', a: int(-7, 'int32'), b: int(2, 'int32'), dtype: 'int32' } },
          { k: 'store', buffer: 'O', indices: [int(1)], value: { k: 'bin', op: 'floormod', a: int(-7, 'int32'), b: int(2, 'int32'), dtype: 'int32' } },
          { k: 'store', buffer: 'O', indices: [int(2)], value: sub(mul(int(65536, 'int32'), int(65536, 'int32')), int(1, 'int32')) },
        ],
      },
    };
    const o = fromTyped('int32', [3], new Int32Array(3));
    interpretPrimFunc(f, [o]);
    expect(toNumbers(o)).toEqual([-4, 1, -1]);
  });

  test('printer: TVMScript-like text', () => {
    const text = printPrimFunc(fn);
    expect(text).toContain('def mixed(X: T.Buffer((n,), "float32"), Y: T.Buffer((n,), "float32"), Z: T.Buffer((n,), "int32"), n: T.int64):');
    expect(text).toContain('for bx in T.thread_binding(((n + 3) // 4), thread="blockIdx.x"):');
    expect(text).toContain('with T.block("Y"):');
    expect(text).toContain('vi = T.axis.spatial(n, ((bx * 4) + tx))');
    expect(text).toContain('T.where(');
    expect(text).toContain('acc = T.alloc_buffer((), "float32", scope="local")');
    expect(text).toContain('for i in T.unrolled(n):');
    expect(text).toContain('Z[i] = T.Cast("int32", acc[])');
    expect(text).toContain('else:');
    expect(text).toContain('T.Select(odd, T.exp(X[vi]), T.neg(X[vi]))');
  });
});
