/**
 * RewriteDataflowReshape: a reshape left unfused becomes a vm.reshape view (no kernel, no copy), on the generic
 * (cpu) pipeline and on the GPU pipelines; a reshape fused into a neighbour stays part of that kernel.
 */
import { describe, expect, test } from 'vitest';
import { runPipeline } from '../../src/compiler/compile.js';
import { importOnnx } from '../../src/compiler/frontend/onnx/import.js';
import { allBindings } from '../../src/compiler/ir/util.js';
import { PIPELINES } from '../../src/compiler/pipeline/registry.js';
import { resolveTarget } from '../../src/config/targets.js';
import { fromTyped } from '../../src/formats/tensor.js';
import { buildModel } from '../frontend/onnx-builder.js';

const i64 = (v: number[]) => fromTyped('int64', [v.length], BigInt64Array.from(v.map(BigInt)));

// x[batch, 6] -> Reshape [batch, 2, 3] (a graph output, so nothing fuses it) -> Relu -> Reshape [batch, 6]
const bytes = buildModel({
  opset: 17,
  nodes: [
    { op: 'Reshape', inputs: ['x', 's1'], outputs: ['r'] },
    { op: 'Relu', inputs: ['r'], outputs: ['a'] },
    { op: 'Reshape', inputs: ['a', 's2'], outputs: ['y'] },
  ],
  initializers: { s1: i64([0, 2, 3]), s2: i64([0, 6]) },
  inputs: [{ name: 'x', dtype: 'float32', dims: ['batch', 6] }],
  outputs: [{ name: 'r', dtype: 'float32' }, { name: 'y', dtype: 'float32' }],
});

describe.each(['cpu', 'webgpu'] as const)('%s', (kind) => {
  test('reshapes are views; no reshape kernel is left', () => {
    const target = resolveTarget(kind);
    const name = kind === 'cpu' ? 'generic' : kind;
    const mod = importOnnx(bytes, { modelPath: '/tmp/reshape-view.onnx', modelName: 'm' });
    const out = runPipeline(mod, { model: 'm', target, pipeline: { name, resolvedFrom: 'default', reason: 'test', stages: PIPELINES[name]!.stages } }).mod;
    expect(Object.values(out.tir).filter((f) => f.attrs.viewOf === 'reshape')).toEqual([]);
    const views = allBindings(out.functions.main!).filter((b) => b.value.k === 'call_pure_packed' && b.value.fn === 'vm.reshape');
    // cpu: both reshapes are views; GPU: the second one fuses into the relu kernel.
    expect(views.length).toBe(kind === 'cpu' ? 2 : 1);
    expect(Object.keys(out.tir).length).toBe(1);
  });
});
