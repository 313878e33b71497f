/**
 * The cpu backend's register tiling of reductions (src/backends/cpu/tile-reductions.ts): legalized matmul, conv,
 * pooling and reduce kernels, tiled, must give bit-identical results in the TIR interpreter, and the tiling must
 * apply where the innermost output extent allows it (and leave the kernel alone where it does not).
 */
import { describe, expect, test } from 'vitest';
import { tileReductions } from '../../src/backends/cpu/tile-reductions.js';
import { runPipeline } from '../../src/compiler/compile.js';
import { importOnnx } from '../../src/compiler/frontend/onnx/import.js';
import type { IRModule } from '../../src/compiler/ir/types.js';
import { PIPELINES } from '../../src/compiler/pipeline/registry.js';
import type { PrimFunc } from '../../src/compiler/tir/types.js';
import { collectBlocks, walkStmt } from '../../src/compiler/tir/visit.js';
import { resolveTarget } from '../../src/config/targets.js';
import { fromTyped, numel, type HostTensor } from '../../src/formats/tensor.js';
import { evaluate } from '../frontend/evaluate.js';
import { buildModel, type NodeSpec } from '../frontend/onnx-builder.js';

const f32 = (shape: number[], seed: number): HostTensor =>
  fromTyped('float32', shape, Float32Array.from({ length: numel(shape) }, (_, i) => Math.sin(i * 0.37 + seed) + 0.3 * Math.cos(i * 1.7)));

interface Case { name: string; x: (number | string)[]; nodes: NodeSpec[]; init?: Record<string, HostTensor>; op: string; width: number | null }

const CASES: Case[] = [
  { name: 'batched matmul (inner 24: 8 accumulators)', x: ['batch', 5, 16], nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }], init: { w: f32([16, 24], 1) }, op: 'MatMul', width: 8 },
  { name: 'gemm transB (inner 10: 2)', x: [3, 16], nodes: [{ op: 'Gemm', inputs: ['x', 'w'], outputs: ['y'], attrs: { transB: 1 } }], init: { w: f32([10, 16], 2) }, op: 'Gemm', width: 2 },
  { name: 'conv 3x3 pad 1 (inner 12: 4)', x: ['batch', 3, 12, 12], nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: { pads: [1, 1, 1, 1] } }], init: { w: f32([4, 3, 3, 3], 4) }, op: 'Conv', width: 4 },
  { name: 'max pool (inner 7: untouched)', x: [1, 2, 15, 15], nodes: [{ op: 'MaxPool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [3, 3], strides: [2, 2] } }], op: 'MaxPool', width: null },
  { name: 'reduce max over the last axis (inner 16: 8)', x: [16, 9], nodes: [{ op: 'ReduceMax', inputs: ['x'], outputs: ['y'], attrs: { axes: [1], keepdims: 0 } }], op: 'ReduceMax', width: 8 },
];

function legalized(c: Case): IRModule {
  const bytes = buildModel({
    opset: 17, nodes: c.nodes, initializers: c.init ?? {},
    inputs: [{ name: 'x', dtype: 'float32', dims: c.x }], outputs: [{ name: 'y', dtype: 'float32' }],
  });
  const mod = importOnnx(bytes, { modelPath: '/tmp/cpu-tile.onnx', modelName: c.name });
  const stages = PIPELINES.generic!.stages.filter((s) => s.name === 'legalize');
  return runPipeline(mod, { model: 'm', target: resolveTarget('cpu'), pipeline: { name: 'generic', resolvedFrom: 'default', reason: 'test', stages } }).mod;
}

function accWidth(f: PrimFunc): number | null {
  let w: number | null = null;
  walkStmt(f.body, (s) => { if (s.k === 'alloc' && s.buffer.scope === 'local') w = (s.buffer.shape[0] as { value: number }).value; });
  return w;
}

describe('cpu register tiling of reductions', () => {
  test.each(CASES)('$name', (c) => {
    const mod = legalized(c);
    const tiled: IRModule = { ...mod, tir: Object.fromEntries(Object.entries(mod.tir).map(([k, f]) => [k, tileReductions(f)])) };
    // The op's reduction kernel (Gemm also legalizes a transpose of B).
    const kernel = Object.keys(mod.tir).find((k) => mod.tir[k]!.attrs.origin?.some((o) => o.startsWith(`${c.op} `)) && collectBlocks(mod.tir[k]!.body).some((b) => b.init))!;
    expect(kernel).toBeDefined();
    expect(accWidth(tiled.tir[kernel]!)).toBe(c.width);
    if (c.width === null) expect(tiled.tir[kernel]).toBe(mod.tir[kernel]);
    const x = f32(c.x.map((d) => (typeof d === 'number' ? d : 2)), 9);
    const want = evaluate(mod, [x])[0]!, got = evaluate(tiled, [x])[0]!;
    expect(got.shape).toEqual(want.shape);
    expect(Buffer.from(got.data).equals(Buffer.from(want.data))).toBe(true);
  });
});
