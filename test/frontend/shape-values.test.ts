/**
 * Known values: import-time evaluation of shape arithmetic. A TorchScript-style chain over symbolic dims
 * (Shape → Gather → Unsqueeze → Concat → Reshape, and the Expand(-1) idiom ConstantOfShape → Mul → Equal → Where)
 * must fold into one symbolic reshape / broadcast, and the module must compute the right numbers at several sizes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isRelaxError } from '../../src/diagnostics/index.js';
import { importOnnx } from '../../src/compiler/frontend/onnx/import.js';
import { decideCmp, evaluateNode, knownFromTensor, knownInts, type KnownValue } from '../../src/compiler/frontend/onnx/shape-values.js';
import type { IRModule } from '../../src/compiler/ir/types.js';
import { int, ivar, mul } from '../../src/compiler/tir/expr.js';
import { printExpr } from '../../src/compiler/tir/printer.js';
import { fromTyped, numel, toNumbers, type HostTensor } from '../../src/formats/tensor.js';
import { evaluate } from './evaluate.js';
import { installStubs } from './model-stubs.js';
import { buildModel } from './onnx-builder.js';
import { SHARED } from '../shared-dir.js';

const i64 = (v: number[], shape = [v.length]): HostTensor => fromTyped('int64', shape, new BigInt64Array(v.map(BigInt)));
const f32 = (shape: number[]): HostTensor => fromTyped('float32', shape, Float32Array.from({ length: numel(shape) }, (_, i) => i * 0.5 - 3));
const text = (k: KnownValue | undefined): string[] | undefined => k?.values.map(printExpr);
const bindings = (m: IRModule) => m.functions.main!.blocks.flatMap((b) => b.bindings);
const node = (opType: string, attrs: Record<string, unknown> = {}) => ({ opType, attrs: new Map(Object.entries(attrs)) as never });

describe('evaluateNode', () => {
  const x = { sinfo: { k: 'tensor' as const, dtype: 'float32' as const, shape: [ivar('batch'), ivar('seq'), int(256)] } };

  test('Shape of a symbolic tensor gives symbolic elements; start/end slice them', () => {
    expect(text(evaluateNode(node('Shape'), 17, [x])?.[0])).toEqual(['batch', 'seq', '256']);
    expect(text(evaluateNode(node('Shape', { start: { type: 'int', value: 1 }, end: { type: 'int', value: -1 } }), 21, [x])?.[0])).toEqual(['seq']);
  });

  test('Gather / Unsqueeze / Concat / Mul / Div keep symbolic expressions', () => {
    const shape = evaluateNode(node('Shape'), 17, [x])![0]!;
    const seq = evaluateNode(node('Gather', { axis: { type: 'int', value: 0 } }), 17, [{ known: shape }, { known: knownFromTensor(i64([1], []))! }])![0]!;
    expect(seq.shape).toEqual([]);
    const u = evaluateNode(node('Unsqueeze'), 17, [{ known: seq }, { known: knownFromTensor(i64([0]))! }])![0]!;
    const c = evaluateNode(node('Concat', { axis: { type: 'int', value: 0 } }), 17, [{ known: u }, { known: knownFromTensor(i64([4, 64]))! }])![0]!;
    expect(text(c)).toEqual(['seq', '4', '64']);
    const m = evaluateNode(node('Mul'), 17, [{ known: c }, { known: knownFromTensor(i64([2], []))! }])![0]!;
    expect(knownInts(m)!.map(printExpr)).toEqual([printExpr(mul(ivar('seq'), int(2))), '8', '128']);
    const d = evaluateNode(node('Div'), 17, [{ known: m }, { known: knownFromTensor(i64([2], []))! }])![0]!;
    expect(text(d)![1]).toBe('4');
  });

  test('a runtime (unknown) input stops evaluation', () => {
    expect(evaluateNode(node('Add'), 17, [{ sinfo: x.sinfo }, { known: knownFromTensor(i64([1], []))! }])).toBeUndefined();
  });

  test('comparisons of non-negative dims against negative literals are decided', () => {
    expect(printExpr(decideCmp('eq', ivar('batch'), int(-1)))).toBe(printExpr(int(0, 'bool')));
    expect(printExpr(decideCmp('ge', ivar('batch'), int(0)))).toBe(printExpr(int(1, 'bool')));
    expect(decideCmp('eq', ivar('batch'), int(1)).k).toBe('cmp');
  });
});

/** x[batch, seq, 8] → reshape to [batch, seq, 2, 4] through TorchScript's shape chain, then expand(-1, -1, 2, 4). */
function torchScriptChain(): Uint8Array {
  const c = (name: string, t: HostTensor) => ({ op: 'Constant', inputs: [], outputs: [name], attrs: { value: t } });
  return buildModel({
    opset: 17,
    inputs: [{ name: 'x', dtype: 'float32', dims: ['batch', 'seq', 8] }, { name: 'y', dtype: 'float32', dims: [1, 'seq', 2, 4] }],
    outputs: [{ name: 'r', dtype: 'float32' }, { name: 'e', dtype: 'float32' }],
    nodes: [
      c('zero', i64([0], [])), c('one', i64([1], [])), c('ax0', i64([0])), c('tail', i64([2, 4])), c('neg1', i64([-1], [])),
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op: 'Gather', inputs: ['s', 'zero'], outputs: ['b'], attrs: { axis: 0 } },
      { op: 'Shape', inputs: ['x'], outputs: ['s2'] },
      { op: 'Gather', inputs: ['s2', 'one'], outputs: ['q'], attrs: { axis: 0 } },
      { op: 'Unsqueeze', inputs: ['b', 'ax0'], outputs: ['bu'] },
      { op: 'Unsqueeze', inputs: ['q', 'ax0'], outputs: ['qu'] },
      { op: 'Concat', inputs: ['bu', 'qu', 'tail'], outputs: ['target'], attrs: { axis: 0 } },
      { op: 'Reshape', inputs: ['x', 'target'], outputs: ['r'] },
      // expand(batch, -1, -1, -1) as TorchScript writes it: Where(Equal(t, -1), ones, t)
      c('m1', i64([-1], [1])),
      { op: 'Concat', inputs: ['bu', 'm1', 'm1', 'm1'], outputs: ['t'], attrs: { axis: 0 } },
      { op: 'Shape', inputs: ['t'], outputs: ['ts'] },
      { op: 'ConstantOfShape', inputs: ['ts'], outputs: ['ones'], attrs: { value: i64([1], [1]) } },
      { op: 'Mul', inputs: ['ones', 'neg1'], outputs: ['negs'] },
      { op: 'Equal', inputs: ['t', 'negs'], outputs: ['eq'] },
      { op: 'Where', inputs: ['eq', 'ones', 't'], outputs: ['w'] },
      { op: 'Expand', inputs: ['y', 'w'], outputs: ['e'] },
    ],
  });
}

describe('a TorchScript-style shape chain over symbolic dims', () => {
  const mod = importOnnx(torchScriptChain(), { modelPath: 'chain.onnx', modelName: 'chain' });

  test('folds to a symbolic reshape and a symbolic broadcast, with no shape kernels', () => {
    const ops = bindings(mod).map((b) => (b.value.k === 'op' ? b.value.op : b.value.k));
    expect(ops).toEqual(['reshape', 'broadcast_to']);
    const [r, e] = bindings(mod);
    expect(r!.sinfo.k === 'tensor' && r!.sinfo.shape.map(printExpr)).toEqual(['batch', 'seq', '2', '4']);
    expect(e!.sinfo.k === 'tensor' && e!.sinfo.shape.map(printExpr)).toEqual(['batch', 'seq', '2', '4']);
  });

  test('one module computes the right numbers at several sizes', () => {
    for (const [b, s] of [[2, 3], [1, 5], [3, 1]] as const) {
      const x = f32([b, s, 8]), y = f32([1, s, 2, 4]);
      const [r, e] = evaluate(mod, [x, y]);
      expect(r!.shape).toEqual([b, s, 2, 4]);
      expect(toNumbers(r!)).toEqual(toNumbers(x));
      expect(e!.shape).toEqual([b, s, 2, 4]);
      const yv = toNumbers(y);
      expect(toNumbers(e!)).toEqual(Array.from({ length: b * s * 8 }, (_, i) => yv[i % (s * 8)]!));
    }
  });
});

describe('known values that kernels consume', () => {
  test('Shape of a symbolic tensor used as data becomes a shape_to_tensor kernel', () => {
    const bytes = buildModel({
      opset: 17,
      inputs: [{ name: 'x', dtype: 'int64', dims: ['n', 3] }],
      outputs: [{ name: 'o', dtype: 'int64' }],
      nodes: [{ op: 'Shape', inputs: ['x'], outputs: ['s'] }, { op: 'Add', inputs: ['s', 's'], outputs: ['o'] }],
    });
    const mod = importOnnx(bytes, { modelPath: 'm.onnx', modelName: 'm' });
    expect(bindings(mod).some((b) => b.value.k === 'op' && b.value.op === 'shape_to_tensor')).toBe(true);
    const [o] = evaluate(mod, [i64([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [5, 3])]);
    expect(toNumbers(o!)).toEqual([10, 6]);
  });

  test('a target that depends on an undecidable comparison of dims is read at run time (tensor_to_shape)', () => {
    // reshape x[n, 6] to [Where(n == 1, 3, n), -1]: `n == 1` cannot be decided at build time
    const c = (name: string, t: HostTensor) => ({ op: 'Constant', inputs: [], outputs: [name], attrs: { value: t } });
    const bytes = buildModel({
      opset: 17,
      inputs: [{ name: 'x', dtype: 'float32', dims: ['n', 6] }],
      outputs: [{ name: 'o', dtype: 'float32' }],
      nodes: [
        c('zero', i64([0])), c('one', i64([1])), c('three', i64([3])), c('m1', i64([-1])),
        { op: 'Shape', inputs: ['x'], outputs: ['s'] },
        { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], attrs: { axis: 0 } },
        { op: 'Equal', inputs: ['n', 'one'], outputs: ['is1'] },
        { op: 'Where', inputs: ['is1', 'three', 'n'], outputs: ['d0'] },
        { op: 'Concat', inputs: ['d0', 'm1'], outputs: ['t'], attrs: { axis: 0 } },
        { op: 'Reshape', inputs: ['x', 't'], outputs: ['o'] },
      ],
    });
    const mod = importOnnx(bytes, { modelPath: 'm.onnx', modelName: 'm' });
    expect(bindings(mod).map((b) => (b.value.k === 'op' ? b.value.op : b.value.k))).toEqual(['shape_to_tensor', 'tensor_to_shape', 'reshape']);
    for (const [n, want] of [[1, [3, 2]], [4, [4, 6]]] as const) {
      const x = f32([n, 6]);
      const [o] = evaluate(mod, [x]);
      expect(o!.shape).toEqual(want);
      expect(toNumbers(o!)).toEqual(toNumbers(x));
    }
  });

  test('a Reshape target computed from runtime data is a diagnostic naming node, op and opset', () => {
    const bytes = buildModel({
      opset: 17,
      inputs: [{ name: 'x', dtype: 'float32', dims: [2, 3] }, { name: 't', dtype: 'int64', dims: [2] }],
      outputs: [{ name: 'o', dtype: 'float32' }],
      nodes: [{ op: 'Reshape', name: 'rs', inputs: ['x', 't'], outputs: ['o'] }],
    });
    try {
      importOnnx(bytes, { modelPath: 'm.onnx', modelName: 'm' });
      expect.unreachable();
    } catch (e) {
      if (!isRelaxError(e)) throw e;
      expect(e.diagnostic.code).toBe('RLX_ONNX_UNSUPPORTED');
      expect(e.diagnostic.where).toMatchObject({ node: 'rs', op: 'Reshape', opset: 17 });
      expect(e.diagnostic.message).toContain("'shape'");
      expect(e.diagnostic.hint).toBeTruthy();
    }
  });
});

const BERT = `${SHARED}/models/bert_small/model.onnx`;
describe.skipIf(!existsSync(BERT) && !process.env.CI)('bert_small (TorchScript export)', () => {
  // Ops owned elsewhere are stubbed; the point is that no Shape-derived computation is left as kernels.
  let remove = () => {};
  beforeAll(() => { remove = installStubs(['LayerNormalization', 'Erf', 'Where', 'Equal', 'Cast', 'IsNaN', 'Div', 'GreaterOrEqual', 'Mul', 'Add', 'Softmax', 'Sub', 'Pow', 'Sqrt']); });
  afterAll(() => remove());

  test('shape arithmetic folds: no shape kernels, attention reshapes keep batch and seq symbolic', () => {
    const mod = importOnnx(readFileSync(BERT), { modelPath: BERT, modelName: 'bert_small' });
    const bs = bindings(mod);
    const shapeOps = new Set(['Shape', 'Concat', 'ConstantOfShape', 'Equal', 'Where', 'Cast']);
    const leftovers = bs.filter((b) => (b.value.k === 'op' && b.value.op === 'shape_to_tensor') || (shapeOps.has(b.origin?.op ?? '') && b.sinfo.k === 'tensor' && b.sinfo.dtype === 'int64'));
    expect(leftovers.map((b) => b.var)).toEqual([]);
    const reshapes = bs.filter((b) => b.origin?.op === 'Reshape');
    expect(reshapes.length).toBe(12);
    for (const r of reshapes) {
      const dims = r.sinfo.k === 'tensor' ? r.sinfo.shape.map(printExpr) : [];
      expect(dims.slice(0, 2).sort()).toEqual(['batch', 'seq']);
    }
  });
});
