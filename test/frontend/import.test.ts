import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { isRelaxError, type Diagnostic } from '../../src/diagnostics/index.js';
import { importOnnx, sanitizeName } from '../../src/compiler/frontend/onnx/import.js';
import { loadOnnx } from '../../src/compiler/frontend/onnx/load.js';
import type { IRModule, Value } from '../../src/compiler/ir/types.js';
import { dispatchSortScan } from '../../src/compiler/transform/dispatch-sort-scan.js';
import { fromTyped, toNumbers } from '../../src/formats/tensor.js';
import { ivar, int } from '../../src/compiler/tir/expr.js';
import { compare, evaluate } from './evaluate.js';
import { buildModel } from './onnx-builder.js';
import { SHARED } from '../shared-dir.js';

const imp = (bytes: Uint8Array): IRModule => importOnnx(bytes, { modelPath: '/nonexistent/m.onnx', modelName: 'm' });
const diag = (fn: () => unknown): Diagnostic => {
  try { fn(); } catch (e) { if (isRelaxError(e)) return e.diagnostic; throw e; }
  throw new Error('expected a diagnostic');
};
const ops = (m: IRModule) => m.functions.main!.blocks.flatMap((b) => b.bindings).map((b) => (b.value.k === 'op' ? b.value.op : b.value.k));
const f32 = (shape: number[], vals: number[]) => fromTyped('float32', shape, new Float32Array(vals));
const i64 = (shape: number[], vals: number[]) => fromTyped('int64', shape, new BigInt64Array(vals.map(BigInt)));
const ramp = (n: number, f = (i: number) => Math.sin(i * 1.3) * 3) => Array.from({ length: n }, (_, i) => f(i));
const ctx = { target: { kind: 'cpu' } as never, model: 'm', note() {} };

describe('unsupported ops and attributes', () => {
  test('unknown op names op, opset and node, with a hint', () => {
    const d = diag(() => imp(buildModel({
      opset: 17, nodes: [{ op: 'NoSuchOp', name: 'conv1', inputs: ['x', 'w'], outputs: ['y'] }],
      inputs: [{ name: 'x', dtype: 'float32', dims: [1, 3, 8, 8] }, { name: 'w', dtype: 'float32', dims: [4, 3, 3, 3] }],
      outputs: [{ name: 'y', dtype: 'float32' }],
    })));
    expect(d.code).toBe('RLX_ONNX_UNSUPPORTED');
    expect(d.message).toContain('NoSuchOp');
    expect(d.message).toContain('opset 17');
    expect(d.message).toContain("'conv1'");
    expect(d.where).toMatchObject({ node: 'conv1', op: 'NoSuchOp', opset: 17, model: 'm' });
    expect(d.hint).toContain('Gemm');
  });
  test('unknown attribute', () => {
    const d = diag(() => imp(buildModel({
      opset: 13, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], attrs: { fancy: 1 } }],
      inputs: [{ name: 'x', dtype: 'float32', dims: [2] }], outputs: [{ name: 'y', dtype: 'float32' }],
    })));
    expect(d.code).toBe('RLX_ONNX_UNSUPPORTED');
    expect(d.message).toContain("attribute 'fancy'");
  });
  test('non-default domain', () => {
    const d = diag(() => imp(buildModel({
      opset: 13, nodes: [{ op: 'Relu', domain: 'com.microsoft', inputs: ['x'], outputs: ['y'] }],
      inputs: [{ name: 'x', dtype: 'float32', dims: [2] }], outputs: [{ name: 'y', dtype: 'float32' }],
    })));
    expect(d.code).toBe('RLX_ONNX_UNSUPPORTED');
    expect(d.message).toContain('com.microsoft');
  });
  test('shape mismatch is RLX_SHAPE_MISMATCH at the node', () => {
    const d = diag(() => imp(buildModel({
      opset: 14, nodes: [{ op: 'Add', name: 'add0', inputs: ['a', 'b'], outputs: ['y'] }],
      inputs: [{ name: 'a', dtype: 'float32', dims: [2, 3] }, { name: 'b', dtype: 'float32', dims: [4] }], outputs: [{ name: 'y', dtype: 'float32' }],
    })));
    expect(d.code).toBe('RLX_SHAPE_MISMATCH');
    expect(d.message).toContain('[2, 3]');
    expect(d.message).toContain('[4]');
    expect(d.where?.node).toBe('add0');
  });
  test('garbage bytes', () => {
    expect(diag(() => imp(new Uint8Array([1, 2, 3, 4, 5]))).code).toBe('RLX_ONNX_INVALID');
  });
});

describe('symbolic shapes', () => {
  test('dim_param, missing dims and names are sanitized', () => {
    const m = imp(buildModel({
      opset: 14, nodes: [{ op: 'Add', inputs: ['in:0', 'in:0'], outputs: ['out/0'] }],
      inputs: [{ name: 'in:0', dtype: 'float32', dims: ['batch size', null, 4] }], outputs: [{ name: 'out/0', dtype: 'float32' }],
    }));
    const p = m.functions.main!.params[0]!;
    expect(p.name).toBe('in_0');
    expect(p.sinfo).toEqual({ k: 'tensor', dtype: 'float32', shape: [ivar('batch_size'), ivar('in_0_dim1'), int(4)] });
    expect(m.functions.main!.retNames).toEqual(['out/0']);
    expect(sanitizeName('/l1/Gemm_output_0')).toBe('l1_Gemm_output_0');
    expect(sanitizeName('0abc')).toBe('v0abc');
  });
  test('Reshape [batch,2,256] -> [-1,512] gives batch; 0 copies the input dim', () => {
    const m = imp(buildModel({
      opset: 14,
      nodes: [
        { op: 'Reshape', inputs: ['x', 's1'], outputs: ['y'] },
        { op: 'Reshape', inputs: ['y', 's2'], outputs: ['z'] },
      ],
      inputs: [{ name: 'x', dtype: 'float32', dims: ['batch', 2, 256] }], outputs: [{ name: 'z', dtype: 'float32' }],
      initializers: { s1: i64([2], [-1, 512]), s2: i64([3], [0, 16, -1]) },
    }));
    const b = m.functions.main!.blocks[0]!.bindings;
    expect(b[0]!.sinfo).toEqual({ k: 'tensor', dtype: 'float32', shape: [ivar('batch'), int(512)] });
    expect(b[1]!.sinfo).toEqual({ k: 'tensor', dtype: 'float32', shape: [ivar('batch'), int(16), int(32)] });
    expect(Object.keys(m.constants)).toEqual([]); // shapes are folded into the ops
    const x = f32([3, 2, 256], ramp(1536));
    const [z] = evaluate(m, [x]);
    expect(z!.shape).toEqual([3, 16, 32]);
    expect(toNumbers(z!)).toEqual(toNumbers(x));
  });
  test('MatMul with symbolic batch and broadcasting', () => {
    const m = imp(buildModel({
      opset: 13, nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['c'] }],
      inputs: [{ name: 'a', dtype: 'float32', dims: ['n', 1, 3, 4] }, { name: 'b', dtype: 'float32', dims: [2, 4, 5] }],
      outputs: [{ name: 'c', dtype: 'float32' }],
    }));
    expect(m.functions.main!.blocks[0]!.bindings[0]!.sinfo).toEqual({ k: 'tensor', dtype: 'float32', shape: [ivar('n'), int(2), int(3), int(5)] });
    const A = ramp(2 * 12), B = ramp(40, (i) => Math.cos(i));
    const [c] = evaluate(m, [f32([2, 1, 3, 4], A), f32([2, 4, 5], B)]);
    const want: number[] = [];
    for (let n = 0; n < 2; n++) for (let g = 0; g < 2; g++) for (let i = 0; i < 3; i++) for (let j = 0; j < 5; j++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += A[n * 12 + i * 4 + k]! * B[g * 20 + k * 5 + j]!;
      want.push(s);
    }
    expect(compare(c!, f32([2, 2, 3, 5], want), 1e-5, 1e-6)).toBeUndefined();
  });
});

describe('op conversions', () => {
  test('Softmax opset 11 coerces to 2-D at axis 1', () => {
    const m = imp(buildModel({
      opset: 11, nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'] }],
      inputs: [{ name: 'x', dtype: 'float32', dims: [2, 3, 4] }], outputs: [{ name: 'y', dtype: 'float32' }],
    }));
    expect(ops(m)).toEqual(['reshape', 'softmax', 'reshape']);
    const xs = ramp(24);
    const [y] = evaluate(m, [f32([2, 3, 4], xs)]);
    const want: number[] = [];
    for (let r = 0; r < 2; r++) {
      const row = xs.slice(r * 12, r * 12 + 12), mx = Math.max(...row);
      const e = row.map((v) => Math.exp(v - mx)), s = e.reduce((a, b) => a + b);
      want.push(...e.map((v) => v / s));
    }
    expect(compare(y!, f32([2, 3, 4], want), 1e-5, 1e-7)).toBeUndefined();
  });
  test('Softmax opset 11 on the last axis needs no reshape; opset 13 defaults to -1', () => {
    const mk = (opset: number, axis?: number) => imp(buildModel({
      opset, nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: axis === undefined ? {} : { axis } }],
      inputs: [{ name: 'x', dtype: 'float32', dims: [2, 3] }], outputs: [{ name: 'y', dtype: 'float32' }],
    }));
    expect(ops(mk(11))).toEqual(['softmax']);
    const v = mk(13).functions.main!.blocks[0]!.bindings[0]!.value as Extract<Value, { k: 'op' }>;
    expect(v.attrs.axis).toBe(-1);
  });
  test('Clip opset 6 uses attributes; missing bounds are null', () => {
    const m = imp(buildModel({
      opset: 6, nodes: [{ op: 'Clip', inputs: ['x'], outputs: ['y'], attrs: { min: { f: -1 } } }],
      inputs: [{ name: 'x', dtype: 'float32', dims: [5] }], outputs: [{ name: 'y', dtype: 'float32' }],
    }));
    const v = m.functions.main!.blocks[0]!.bindings[0]!.value as Extract<Value, { k: 'op' }>;
    expect(v.attrs).toEqual({ min: -1, max: null });
    const [y] = evaluate(m, [f32([5], [-3, -1, 0, 2, 100])]);
    expect(toNumbers(y!)).toEqual([-1, -1, 0, 2, 100]);
  });
  test('Gemm with transA, alpha, beta and a constant C', () => {
    const m = imp(buildModel({
      opset: 13, nodes: [{ op: 'Gemm', name: 'fc', inputs: ['a', 'b', 'c'], outputs: ['y'], attrs: { transA: 1, alpha: { f: 0.5 }, beta: { f: 2 } } }],
      inputs: [{ name: 'a', dtype: 'float32', dims: [3, 2] }, { name: 'b', dtype: 'float32', dims: [3, 4] }], outputs: [{ name: 'y', dtype: 'float32' }],
      initializers: { c: f32([4], [1, 2, 3, 4]) },
    }));
    expect(ops(m)).toEqual(['transpose', 'matmul', 'mul', 'mul', 'add']);
    expect(Object.keys(m.constants).sort()).toEqual(['c', 'fc_alpha', 'fc_beta']);
    const A = ramp(6), B = ramp(12, (i) => i - 5);
    const [y] = evaluate(m, [f32([3, 2], A), f32([3, 4], B)]);
    const want: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += A[k * 2 + i]! * B[k * 4 + j]!;
      want.push(0.5 * s + 2 * (j + 1));
    }
    expect(compare(y!, f32([2, 4], want), 1e-5, 1e-6)).toBeUndefined();
  });
  test('TopK with a constant k needs no tensor_to_shape; a runtime k binds topk_k0', () => {
    const spec = (init: boolean) => buildModel({
      opset: 11, nodes: [{ op: 'TopK', inputs: ['x', 'k'], outputs: ['v', 'i'], attrs: { axis: 0, largest: 0 } }],
      inputs: [{ name: 'x', dtype: 'float32', dims: [5, 2] }, ...(init ? [] : [{ name: 'k', dtype: 'int64' as const, dims: [1] }])],
      outputs: [{ name: 'v', dtype: 'float32' }, { name: 'i', dtype: 'int64' }],
      ...(init ? { initializers: { k: i64([1], [2]) } } : {}),
    });
    const cm = imp(spec(true));
    expect(ops(cm)).toEqual(['topk', 'tuple_get', 'tuple_get']);
    const rm = imp(spec(false));
    expect(ops(rm)).toEqual(['tensor_to_shape', 'topk', 'tuple_get', 'tuple_get']);
    expect(rm.functions.main!.blocks[0]!.bindings[3]!.sinfo).toEqual({ k: 'tensor', dtype: 'int64', shape: [ivar('topk_k0'), int(2)] });
    const x = f32([5, 2], [3, 1, 0, 1, 2, 0, 0, 5, 7, -1]);
    for (const [m, ins] of [[cm, [x]], [rm, [x, i64([1], [2])]]] as const) {
      const d = dispatchSortScan.run(m, ctx);
      expect(ops(d)).not.toContain('topk');
      const [v, i] = evaluate(d, ins);
      expect(toNumbers(v!)).toEqual([0, -1, 0, 0]);
      expect(toNumbers(i!)).toEqual([1, 4, 3, 2]);
    }
  });
  test('CumSum with a constant int64 axis', () => {
    const m = imp(buildModel({
      opset: 14, nodes: [{ op: 'CumSum', inputs: ['x', 'ax'], outputs: ['y'], attrs: { reverse: 1 } }],
      inputs: [{ name: 'x', dtype: 'float32', dims: [2, 3] }], outputs: [{ name: 'y', dtype: 'float32' }],
      initializers: { ax: i64([], [-1]) },
    }));
    const [y] = evaluate(dispatchSortScan.run(m, ctx), [f32([2, 3], [1, 2, 3, 4, 5, 6])]);
    expect(toNumbers(y!)).toEqual([6, 5, 3, 15, 11, 6]);
  });
  test('Constant and Identity', () => {
    const m = imp(buildModel({
      opset: 13, nodes: [
        { op: 'Constant', inputs: [], outputs: ['c'], attrs: { value_ints: [1, 2, 3] } },
        { op: 'Identity', inputs: ['c'], outputs: ['y'] },
      ],
      inputs: [], outputs: [{ name: 'y', dtype: 'int64' }],
    }));
    // Identity of a small constant is a known value: it folds at import time (shape-values.ts), no kernel.
    expect(ops(m)).toEqual([]);
    expect(toNumbers(evaluate(m, [])[0]!)).toEqual([1, 2, 3]);
  });
});

describe('external data', () => {
  test('gpt2_tiny initializers load from model.onnx.data', () => {
    const dir = `${SHARED}/models/gpt2_tiny`;
    const model = loadOnnx(readFileSync(`${dir}/model.onnx`), { baseDir: dir });
    const data = readFileSync(`${dir}/model.onnx.data`);
    let total = 0, nonzero = 0;
    for (const t of model.graph.initializers.values()) { total += t.data.byteLength; if (t.data.some((b) => b !== 0)) nonzero++; }
    expect(total).toBeGreaterThan(data.byteLength * 0.9);
    expect(nonzero).toBeGreaterThan(10);
    // A full import succeeds (every op is supported now) and keeps the model's int64 [1, 128] input.
    const m = importOnnx(readFileSync(`${dir}/model.onnx`), { modelPath: `${dir}/model.onnx`, modelName: 'gpt2' });
    expect(m.functions.main!.params.map((p) => p.name)).toEqual(['input_ids']);
    expect(Object.keys(m.constants).length).toBeGreaterThan(10);
  });
  test('a missing external data file is a diagnostic', () => {
    const dir = mkdtempSync(join(tmpdir(), 'relax-ext-'));
    const src = readFileSync(`${SHARED}/models/gpt2_tiny/model.onnx`);
    writeFileSync(join(dir, 'model.onnx'), src);
    const d = diag(() => loadOnnx(src, { baseDir: dir }));
    expect(d.code).toBe('RLX_ONNX_INVALID');
    expect(d.message).toContain('model.onnx.data');
  });
});

describe('real models', () => {
  const models = [
    ...['mobilenet_v2', 'squeezenet1_1', 'bert_small', 'gpt2_tiny'].map((m) => `${SHARED}/models/${m}/model.onnx`),
    ...['bvlc_alexnet', 'densenet121', 'inception_v1', 'resnet50', 'shufflenet', 'squeezenet', 'vgg19'].map((m) => `${SHARED}/models/onnx-light/${m}/model.onnx`),
  ];
  test('every shared model imports (no unsupported op or attribute left)', () => {
    for (const p of models) {
      const m = importOnnx(readFileSync(p), { modelPath: p, modelName: 'm' });
      expect(ops(m).length, p).toBeGreaterThan(0);
    }
  });
});
