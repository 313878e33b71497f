/**
 * conv / conv_transpose / max_pool (+ indices) / avg_pool / lrn legalizations against the plain-JS references in
 * conv-reference.ts, through the TIR interpreter, over 1-D/2-D/3-D, groups, depthwise, strides, dilations,
 * asymmetric pads, ceil_mode and a symbolic batch.
 */
import { describe, expect, test } from 'vitest';
import type { Attrs, StructInfo } from '../../src/compiler/ir/types.js';
import { getOp } from '../../src/compiler/ops/registry.js';
import { int, ivar } from '../../src/compiler/tir/expr.js';
import { interpretPrimFunc } from '../../src/compiler/tir/interpret.js';
import type { DType } from '../../src/compiler/tir/types.js';
import { isRelaxError } from '../../src/diagnostics/index.js';
import { DTYPE_BYTES } from '../../src/formats/dtype.js';
import { fromTyped, numel, toNumbers, type HostTensor } from '../../src/formats/tensor.js';
import { conv, convTranspose, nd, pool, type Nd } from './conv-reference.js';

/** Symbolic batch: dim 0 of X is `n` in the struct info, bound to the concrete size when run. */
const sinfo = (t: Nd, symbolicBatch = false): StructInfo => ({
  k: 'tensor', dtype: 'float32', shape: t.shape.map((d, i) => (i === 0 && symbolicBatch ? ivar('n') : int(d))),
});
const host = (t: Nd): HostTensor => fromTyped('float32', t.shape, Float32Array.from(t.data));
const zeros = (dtype: DType, shape: number[]): HostTensor => ({ dtype, shape, data: new Uint8Array(numel(shape) * DTYPE_BYTES[dtype]) });
const rand = (shape: number[], seed: number) => nd(shape, (i) => Math.sin(i * 1.37 + seed) * 2 + Math.cos(i * 0.11 * seed));

function run(op: string, args: Nd[], attrs: Attrs, outDtype: DType = 'float32', extra: HostTensor[] = []): { shape: number[]; values: number[] } {
  const def = getOp(op);
  const infos = [sinfo(args[0]!, true), ...args.slice(1).map((a) => sinfo(a)), ...extra.map((e): StructInfo => ({ k: 'tensor', dtype: e.dtype, shape: e.shape.map((d, i) => (i === 0 ? ivar('n') : int(d))) }))];
  const out = def.infer(infos, attrs);
  if (out.k !== 'tensor') throw new Error('tensor expected');
  const fn = def.legalize!({ name: `k_${op}`, args: infos, out, attrs });
  const n = args[0]!.shape[0]!;
  const shape = out.shape.map((e) => (e.k === 'int' ? e.value : n));
  const o = zeros(outDtype, shape);
  interpretPrimFunc(fn, [...args.map(host), ...extra, o], { n });
  return { shape, values: toNumbers(o) };
}

function close(got: { shape: number[]; values: number[] }, want: Nd, tol = 1e-4): void {
  expect(got.shape).toEqual(want.shape);
  let bad = 0;
  got.values.forEach((v, i) => { if (!(Math.abs(v - want.data[i]!) <= tol * (1 + Math.abs(want.data[i]!)))) bad++; });
  expect(bad, `${bad} of ${got.values.length} elements differ`).toBe(0);
}

interface ConvCase { name: string; x: number[]; w: number[]; group?: number; strides?: number[]; dilations?: number[]; pads?: number[]; bias?: boolean }
const CONV: ConvCase[] = [
  { name: '2-D, pads 1', x: [2, 3, 7, 6], w: [4, 3, 3, 3], pads: [1, 1, 1, 1] },
  { name: '2-D, stride 2, dilation 2, asymmetric pads, bias', x: [1, 2, 9, 8], w: [3, 2, 3, 2], strides: [2, 3], dilations: [2, 1], pads: [0, 1, 2, 1], bias: true },
  { name: '2-D, group 2', x: [2, 4, 5, 5], w: [6, 2, 3, 3], group: 2, pads: [1, 0, 1, 0] },
  { name: '2-D depthwise, stride 2, bias', x: [1, 5, 8, 8], w: [5, 1, 3, 3], group: 5, strides: [2, 2], pads: [1, 1, 1, 1], bias: true },
  { name: '2-D 1x1', x: [3, 8, 4, 4], w: [5, 8, 1, 1] },
  { name: '1-D, dilation 3', x: [2, 3, 17], w: [2, 3, 4], dilations: [3], pads: [2, 1] },
  { name: '3-D, stride 2', x: [1, 2, 5, 6, 5], w: [3, 2, 2, 3, 2], strides: [2, 1, 2], pads: [1, 1, 0, 0, 1, 1] },
];

describe('conv', () => {
  test.each(CONV)('$name', (c) => {
    const nsp = c.x.length - 2;
    const spec = {
      kernel: c.w.slice(2), strides: c.strides ?? Array(nsp).fill(1), dilations: c.dilations ?? Array(nsp).fill(1),
      pads: c.pads ?? Array(2 * nsp).fill(0), group: c.group ?? 1,
    };
    const x = rand(c.x, 1), w = rand(c.w, 2), b = c.bias ? rand([c.w[0]!], 3) : undefined;
    const attrs = { strides: spec.strides, dilations: spec.dilations, pads: spec.pads, group: spec.group };
    close(run('conv', b ? [x, w, b] : [x, w], attrs), conv(x, w, b, spec));
  });

  test('rejects a channel mismatch and a window larger than the input with shape diagnostics', () => {
    const bad = (args: StructInfo[], attrs: Attrs) => {
      try { getOp('conv').infer(args, attrs); } catch (e) { return isRelaxError(e) ? e.diagnostic.code : 'crash'; }
      return 'ok';
    };
    expect(bad([sinfo(nd([1, 3, 5, 5], () => 0)), sinfo(nd([2, 4, 3, 3], () => 0))], {})).toBe('RLX_SHAPE_MISMATCH');
    expect(bad([sinfo(nd([1, 3, 2, 2], () => 0)), sinfo(nd([2, 3, 3, 3], () => 0))], {})).toBe('RLX_SHAPE_MISMATCH');
    expect(bad([sinfo(nd([1, 3, 2, 2], () => 0)), sinfo(nd([2, 3, 3, 3], () => 0))], { pads: [1, 1, 1, 1] })).toBe('ok');
  });
});

interface ConvTCase { name: string; x: number[]; w: number[]; group?: number; strides?: number[]; dilations?: number[]; pads?: number[]; outputPadding?: number[] }
const CONVT: ConvTCase[] = [
  { name: '1-D, stride 3, output_padding 1', x: [2, 2, 5], w: [2, 3, 3], strides: [3], outputPadding: [1] },
  { name: '2-D, group 2, dilation 2, pads', x: [1, 4, 4, 3], w: [4, 3, 3, 2], group: 2, dilations: [2, 1], pads: [1, 0, 2, 1] },
  { name: '2-D, stride 2, pads 1', x: [2, 3, 3, 3], w: [3, 2, 3, 3], strides: [2, 2], pads: [1, 1, 1, 1], outputPadding: [1, 1] },
  { name: '3-D, stride 2', x: [1, 2, 3, 2, 3], w: [2, 2, 2, 3, 2], strides: [2, 1, 2] },
];

describe('conv_transpose', () => {
  test.each(CONVT)('$name', (c) => {
    const nsp = c.x.length - 2;
    const spec = {
      kernel: c.w.slice(2), strides: c.strides ?? Array(nsp).fill(1), dilations: c.dilations ?? Array(nsp).fill(1),
      pads: c.pads ?? Array(2 * nsp).fill(0), group: c.group ?? 1, outputPadding: c.outputPadding ?? Array(nsp).fill(0),
    };
    const x = rand(c.x, 4), w = rand(c.w, 5);
    const attrs = { strides: spec.strides, dilations: spec.dilations, pads: spec.pads, group: spec.group, output_padding: spec.outputPadding };
    close(run('conv_transpose', [x, w], attrs), convTranspose(x, w, spec));
  });
});

interface PoolCase { name: string; x: number[]; kernel: number[]; strides?: number[]; dilations?: number[]; pads?: number[]; ceil?: boolean }
const POOL: PoolCase[] = [
  { name: '2-D 3x3 stride 2 ceil_mode', x: [2, 3, 8, 7], kernel: [3, 3], strides: [2, 2], ceil: true },
  { name: '2-D pads and dilations', x: [1, 2, 7, 7], kernel: [2, 3], dilations: [2, 2], pads: [1, 2, 1, 0] },
  { name: '2-D ceil_mode, last window would start in the pad', x: [1, 1, 6, 6], kernel: [3, 3], strides: [3, 3], pads: [1, 1, 1, 1], ceil: true },
  { name: '1-D stride 2 pads', x: [2, 3, 10], kernel: [3], strides: [2], pads: [1, 1] },
  { name: '3-D', x: [1, 2, 4, 5, 4], kernel: [2, 2, 3], strides: [2, 1, 1], pads: [0, 1, 1, 1, 0, 1] },
];

describe('pooling', () => {
  const specOf = (c: PoolCase) => {
    const nsp = c.x.length - 2;
    return { kernel: c.kernel, strides: c.strides ?? Array(nsp).fill(1), dilations: c.dilations ?? Array(nsp).fill(1), pads: c.pads ?? Array(2 * nsp).fill(0), ceil: c.ceil ?? false };
  };
  const attrsOf = (s: ReturnType<typeof specOf>) => ({ kernel_shape: s.kernel, strides: s.strides, dilations: s.dilations, pads: s.pads, ceil_mode: s.ceil ? 1 : 0 });

  test.each(POOL)('max_pool and its indices: $name', (c) => {
    const s = specOf(c), x = rand(c.x, 6);
    const ref = pool(x, { ...s, kind: 'max' });
    const y = run('max_pool', [x], attrsOf(s));
    close(y, ref.y);
    const idx = run('max_pool_indices', [x], attrsOf(s), 'int64', [host(nd(y.shape, (i) => y.values[i]!))]);
    expect(idx.values).toEqual(ref.argmax);
  });

  test.each(POOL)('avg_pool, count_include_pad 0 and 1: $name', (c) => {
    const s = specOf(c), x = rand(c.x, 7);
    close(run('avg_pool', [x], { ...attrsOf(s), count_include_pad: 0 }), pool(x, { ...s, kind: 'avg' }).y);
    close(run('avg_pool', [x], { ...attrsOf(s), count_include_pad: 1 }), pool(x, { ...s, kind: 'avg', countIncludePad: true }).y);
  });
});

describe('lrn', () => {
  test.each([3, 4, 5])('size %i over channels', (size) => {
    const x = rand([2, 6, 3, 2], 8), [N, C, H, W] = x.shape as [number, number, number, number];
    const alpha = 2e-2, beta = 0.75, bias = 1.5;
    const want = nd(x.shape, (f) => {
      const w = f % W, h = Math.floor(f / W) % H, c = Math.floor(f / (W * H)) % C, n = Math.floor(f / (W * H * C));
      let sq = 0;
      for (let j = Math.max(0, c - Math.floor((size - 1) / 2)); j <= Math.min(C - 1, c + Math.ceil((size - 1) / 2)); j++) {
        const v = x.data[((n * C + j) * H + h) * W + w]!;
        sq += v * v;
      }
      return x.data[f]! / Math.pow(bias + (alpha / size) * sq, beta);
    });
    expect(N).toBe(2);
    close(run('lrn', [x], { size, alpha, beta, bias }), want);
  });
});
