/**
 * ONNX-level checks of the Conv / ConvTranspose / MaxPool / AveragePool / LRN / Gemm / MatMul converters against
 * onnxruntime-node on small generated models: the attribute combinations the node tests leave out (auto_pad
 * SAME_UPPER / SAME_LOWER / VALID with strides, output_shape, MaxPool Indices with pads, Gemm with transA and a
 * broadcast C, MatMul with 1-D and broadcast batch operands), plus the diagnostics for what relax rejects.
 */
import { describe, expect, test } from 'vitest';
import { importOnnx } from '../../src/compiler/frontend/onnx/import.js';
import { isRelaxError } from '../../src/diagnostics/index.js';
import { fromTyped, numel, toNumbers, type HostTensor } from '../../src/formats/tensor.js';
import { evaluate } from '../frontend/evaluate.js';
import { buildModel, type AttrSpec } from '../frontend/onnx-builder.js';

const f32 = (shape: number[], seed: number): HostTensor =>
  fromTyped('float32', shape, Float32Array.from({ length: numel(shape) }, (_, i) => Math.sin(i * 0.91 + seed) * 1.5 + 0.2 * Math.cos(i * 0.13)));

interface Case {
  name: string;
  op: string;
  attrs?: Record<string, AttrSpec>;
  /** Runtime inputs (first) and initializers, in node input order; '' marks an absent optional input. */
  inputs: (HostTensor | '')[];
  runtime?: number;
  outputs?: number;
  opset?: number;
}

const CASES: Case[] = [
  ...(['SAME_UPPER', 'SAME_LOWER', 'VALID'] as const).flatMap((pad): Case[] => [
    { name: `Conv auto_pad ${pad}, stride 2, even input`, op: 'Conv', attrs: { auto_pad: pad, strides: [2, 2] }, inputs: [f32([1, 3, 8, 8], 1), f32([4, 3, 3, 3], 2), f32([4], 3)] },
    // onnxruntime rejects dilations with SAME padding, so only VALID gets them here.
    { name: `Conv auto_pad ${pad}, stride 3${pad === 'VALID' ? ', dilation 2' : ''}`, op: 'Conv', attrs: { auto_pad: pad, strides: [3, 1], ...(pad === 'VALID' ? { dilations: [2, 1] } : {}) }, inputs: [f32([2, 2, 10, 7], 4), f32([3, 2, 3, 2], 5)] },
    { name: `MaxPool auto_pad ${pad}, with Indices`, op: 'MaxPool', attrs: { auto_pad: pad, kernel_shape: [3, 2], strides: [2, 2] }, inputs: [f32([1, 2, 7, 8], 6)], outputs: 2 },
    { name: `AveragePool auto_pad ${pad}`, op: 'AveragePool', attrs: { auto_pad: pad, kernel_shape: [3, 3], strides: [2, 2] }, inputs: [f32([1, 2, 7, 8], 7)] },
  ]),
  { name: 'Conv depthwise with bias, 1-D', op: 'Conv', attrs: { group: 4, pads: [2, 1] }, inputs: [f32([2, 4, 9], 8), f32([4, 1, 3], 9), f32([4], 10)] },
  { name: 'ConvTranspose output_shape', op: 'ConvTranspose', attrs: { strides: [2, 2], output_shape: [8, 7] }, inputs: [f32([1, 2, 4, 3], 11), f32([2, 3, 3, 3], 12)] },
  { name: 'ConvTranspose auto_pad SAME_UPPER with bias', op: 'ConvTranspose', attrs: { strides: [2, 2], auto_pad: 'SAME_UPPER' }, inputs: [f32([1, 2, 3, 3], 13), f32([2, 2, 4, 4], 14), f32([2], 15)] },
  { name: 'ConvTranspose 3-D, group 2, output_padding', op: 'ConvTranspose', attrs: { strides: [2, 1, 2], group: 2, output_padding: [1, 0, 1] }, inputs: [f32([1, 4, 2, 3, 2], 16), f32([4, 1, 2, 2, 3], 17)] },
  { name: 'MaxPool Indices with pads and dilations', op: 'MaxPool', attrs: { kernel_shape: [2, 2], pads: [1, 0, 1, 1], dilations: [2, 1] }, inputs: [f32([2, 3, 6, 5], 18)], outputs: 2 },
  { name: 'MaxPool Indices with storage_order 1', op: 'MaxPool', attrs: { kernel_shape: [2, 2], strides: [2, 2], storage_order: 1 }, inputs: [f32([1, 2, 4, 6], 19)], outputs: 2 },
  { name: 'AveragePool count_include_pad ceil_mode', op: 'AveragePool', attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1, ceil_mode: 1 }, inputs: [f32([1, 2, 8, 8], 20)] },
  { name: 'LRN', op: 'LRN', attrs: { size: 3, alpha: { f: 1e-2 }, beta: { f: 0.6 }, bias: { f: 2 } }, inputs: [f32([2, 5, 3, 3], 21)] },
  { name: 'Gemm transA, alpha, beta, row-broadcast C', op: 'Gemm', attrs: { transA: 1, alpha: { f: 0.5 }, beta: { f: 2 } }, inputs: [f32([6, 3], 22), f32([6, 5], 23), f32([1, 5], 24)], runtime: 2 },
  { name: 'Gemm transB, column-broadcast C', op: 'Gemm', attrs: { transB: 1 }, inputs: [f32([3, 6], 25), f32([5, 6], 26), f32([3, 1], 27)], runtime: 2 },
  { name: 'Gemm without C', op: 'Gemm', attrs: { alpha: { f: -1.5 } }, inputs: [f32([4, 6], 28), f32([6, 3], 29)], runtime: 2 },
  { name: 'MatMul 1-D x 2-D', op: 'MatMul', inputs: [f32([5], 30), f32([5, 4], 31)], runtime: 2 },
  { name: 'MatMul 3-D x 1-D', op: 'MatMul', inputs: [f32([2, 3, 5], 32), f32([5], 33)], runtime: 2 },
  { name: 'MatMul broadcast batch', op: 'MatMul', inputs: [f32([2, 1, 3, 4], 34), f32([3, 4, 2], 35)], runtime: 2 },
];

async function ortRun(bytes: Uint8Array, feeds: Record<string, HostTensor>): Promise<{ shape: number[]; values: number[] }[]> {
  const ort = await import('onnxruntime-node');
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor('float32', new Float32Array(toNumbers(t)), t.shape)])));
  return s.outputNames.map((n) => ({ shape: [...out[n]!.dims], values: Array.from(out[n]!.data as ArrayLike<number | bigint>, Number) }));
}

describe('converters vs onnxruntime-node', () => {
  test.each(CASES)('$name', async (c) => {
    const nRuntime = c.runtime ?? 1;
    const names = c.inputs.map((t, i) => (t === '' ? '' : i < nRuntime ? `in${i}` : `w${i}`));
    const initializers = Object.fromEntries(c.inputs.flatMap((t, i) => (t !== '' && i >= nRuntime ? [[names[i]!, t]] : [])));
    const runtime = c.inputs.slice(0, nRuntime) as HostTensor[];
    const outputs = Array.from({ length: c.outputs ?? 1 }, (_, i) => `out${i}`);
    const bytes = buildModel({
      opset: c.opset ?? 17, initializers,
      nodes: [{ op: c.op, inputs: names, outputs, attrs: c.attrs ?? {} }],
      inputs: runtime.map((t, i) => ({ name: `in${i}`, dtype: 'float32', dims: t.shape })),
      outputs: outputs.map((o, i) => ({ name: o, dtype: i === 0 ? 'float32' : 'int64' })),
    });
    const got = evaluate(importOnnx(bytes, { modelPath: '/tmp/m.onnx', modelName: c.name }), runtime);
    const want = await ortRun(bytes, Object.fromEntries(runtime.map((t, i) => [`in${i}`, t])));
    expect(got).toHaveLength(want.length);
    got.forEach((g, k) => {
      expect(g.shape, `output ${k} shape`).toEqual(want[k]!.shape);
      const x = toNumbers(g), y = want[k]!.values;
      const bad = x.filter((v, i) => !(Math.abs(v - y[i]!) <= 1e-5 + 1e-4 * Math.abs(y[i]!))).length;
      expect(bad, `output ${k}: ${bad} of ${x.length} elements differ`).toBe(0);
    });
  });
});

describe('diagnostics', () => {
  const diag = (op: string, attrs: Record<string, AttrSpec>, x: (number | string)[], w?: number[]) => {
    const bytes = buildModel({
      opset: 17, initializers: w ? { w: f32(w, 1) } : {},
      nodes: [{ op, name: 'n0', inputs: w ? ['x', 'w'] : ['x'], outputs: ['y'], attrs }],
      inputs: [{ name: 'x', dtype: 'float32', dims: x }], outputs: [{ name: 'y', dtype: 'float32' }],
    });
    try { importOnnx(bytes, { modelPath: '/tmp/m.onnx', modelName: 'm' }); } catch (e) {
      if (!isRelaxError(e)) throw e;
      return e.diagnostic;
    }
    return undefined;
  };

  test('auto_pad SAME over a symbolic spatial dim names the node, the op and what to do', () => {
    const d = diag('Conv', { auto_pad: 'SAME_UPPER' }, [1, 3, 'h', 8], [2, 3, 3, 3]);
    expect(d?.code).toBe('RLX_ONNX_UNSUPPORTED');
    expect(d?.message).toMatch(/Conv.*n0.*auto_pad SAME with a symbolic spatial dim/);
    expect(d?.hint).toMatch(/static spatial sizes|explicit pads/);
  });

  test('an unknown auto_pad value and a kernel_shape that contradicts W', () => {
    expect(diag('MaxPool', { auto_pad: 'SAME_MIDDLE', kernel_shape: [2, 2] }, [1, 3, 8, 8])?.message).toMatch(/auto_pad 'SAME_MIDDLE'/);
    expect(diag('Conv', { kernel_shape: [2, 2] }, [1, 3, 8, 8], [2, 3, 3, 3])?.message).toMatch(/kernel_shape \[2,2\].*\[3,3\]/);
    expect(diag('MaxPool', {}, [1, 3, 8, 8])?.message).toMatch(/kernel_shape/);
  });

  test('a window larger than the padded input is a shape error, not a crash', () => {
    expect(diag('Conv', {}, [1, 3, 2, 2], [2, 3, 3, 3])?.code).toBe('RLX_SHAPE_MISMATCH');
  });
});
