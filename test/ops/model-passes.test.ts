/**
 * Passes and codegen changes made for real CNN models (onnx-light, mobilenet_v2): InlineFill (ConstantOfShape
 * weights are read as values, never materialised), DedupeTIR (identical kernels merged), FuseOps' per-kernel
 * buffer cap on WebGPU, the cpu backend's local accumulators, Identity of a constant, and WGSL inf/nan literals.
 * Numbers come from the TIR interpreter before and after each rewrite.
 */
import { describe, expect, it } from 'vitest';
import { accumulateLocally } from '../../src/backends/cpu/local-accumulate.js';
import { emitCSource } from '../../src/backends/cpu/codegen.js';
import { floatLit } from '../../src/backends/webgpu/values.js';
import { runPipeline } from '../../src/compiler/compile.js';
import { importOnnx } from '../../src/compiler/frontend/onnx/import.js';
import type { IRModule } from '../../src/compiler/ir/types.js';
import { legalizeOps } from '../../src/compiler/transform/legalize-ops.js';
import { interpretPrimFunc } from '../../src/compiler/tir/interpret.js';
import type { PrimFunc } from '../../src/compiler/tir/types.js';
import { walkStmt } from '../../src/compiler/tir/visit.js';
import { renameStmt } from '../../src/compiler/tir/rename.js';
import type { Stmt } from '../../src/compiler/tir/types.js';

function collectAllocs(s: Stmt): string[] {
  const out: string[] = [];
  walkStmt(s, (st) => { if (st.k === 'alloc') out.push(st.buffer.name); });
  return out;
}
import { resolveTarget } from '../../src/config/targets.js';
import { fromTyped, numel, toNumbers, type HostTensor } from '../../src/formats/tensor.js';
import { evaluate } from '../frontend/evaluate.js';
import { buildModel, type NodeSpec } from '../frontend/onnx-builder.js';

const f32 = (shape: number[], seed: number): HostTensor =>
  fromTyped('float32', shape, Float32Array.from({ length: numel(shape) }, (_, i) => Math.sin(i * 0.37 + seed) + 0.3 * Math.cos(i * 1.7)));
const i64 = (v: number[]): HostTensor => fromTyped('int64', [v.length], new BigInt64Array(v.map(BigInt)));
const fillValue = (v: number): HostTensor => fromTyped('float32', [1], new Float32Array([v]));

function model(nodes: NodeSpec[], inputs: [string, number[]][], init: Record<string, HostTensor> = {}, opset = 17): IRModule {
  const bytes = buildModel({
    opset, nodes, initializers: init,
    inputs: inputs.map(([name, dims]) => ({ name, dtype: 'float32' as const, dims })), outputs: [{ name: 'y', dtype: 'float32' }],
  });
  return importOnnx(bytes, { modelPath: '/tmp/model-passes.onnx', modelName: 'm' });
}

function passes(mod: IRModule, names: string[], kind: 'cpu' | 'webgpu' | 'cuda' = 'cpu'): IRModule {
  const target = resolveTarget(kind);
  return runPipeline(mod, { model: 'm', target, pipeline: { name: 't', resolvedFrom: 't', reason: 'test', stages: [{ name: 's', passes: names }] } }).mod;
}

const kernelCalls = (mod: IRModule) => mod.functions.main!.blocks.flatMap((b) => b.bindings).filter((b) => b.value.k === 'call_tir');

describe('InlineFill', () => {
  // w = Transpose(ConstantOfShape([1100, 64]) = 0.5) is [64, 1100]; b = ConstantOfShape([1100]) = 0.25. Both are
  // above the import-time folding limit, so they are `full` kernels after legalization.
  const mod = model([
    { op: 'ConstantOfShape', inputs: ['ws'], outputs: ['wt'], attrs: { value: fillValue(0.5) } },
    { op: 'Transpose', inputs: ['wt'], outputs: ['w'] },
    { op: 'ConstantOfShape', inputs: ['bs'], outputs: ['b'], attrs: { value: fillValue(0.25) } },
    { op: 'MatMul', inputs: ['x', 'w'], outputs: ['m'] },
    { op: 'Add', inputs: ['m', 'b'], outputs: ['y'] },
  ], [['x', [2, 64]]], { ws: i64([1100, 64]), bs: i64([1100]) });

  it('reads fills (and transposes of fills) as values: no fill kernel, no fill-sized buffer, same numbers', () => {
    const before = passes(mod, ['LegalizeOps', 'AnnotateTIROpPattern']);
    expect(Object.values(before.tir).some((f) => f.params.length === 1)).toBe(true); // the full kernels
    const after = passes(mod, ['LegalizeOps', 'AnnotateTIROpPattern', 'InlineFill']);
    const calls = kernelCalls(after);
    expect(calls.map((b) => (b.value as { fn: string }).fn)).toEqual(['matmul_fill', 'add_fill']); // the fills are gone
    for (const f of Object.values(after.tir)) {
      expect(f.params.length, f.name).toBeGreaterThan(1);
      for (const p of f.params) expect(numel(p.shape.map((d) => (d as { value: number }).value)), `${f.name}.${p.name}`).not.toBe(1100 * 64);
    }
    const x = f32([2, 64], 1);
    const got = toNumbers(evaluate(after, [x])[0]!);
    const want = toNumbers(evaluate(before, [x])[0]!);
    expect(got).toEqual(want);
    const xs = toNumbers(x);
    const row = (r: number) => xs.slice(r * 64, r * 64 + 64).reduce((a, v) => a + v, 0) * 0.5 + 0.25;
    expect(got[0]).toBeCloseTo(row(0), 4);
    expect(got[1100 + 7]).toBeCloseTo(row(1), 4);
  });

  it('keeps a fill that is a graph output', () => {
    const m = model([{ op: 'ConstantOfShape', inputs: ['s'], outputs: ['y'], attrs: { value: fillValue(3) } }], [], { s: i64([2000]) });
    const after = passes(m, ['LegalizeOps', 'AnnotateTIROpPattern', 'InlineFill']);
    expect(toNumbers(evaluate(after, [])[0]!).every((v) => v === 3)).toBe(true);
  });
});

describe('DedupeTIR', () => {
  it('merges structurally identical kernels (two fused relu+neg groups) and keeps every origin', () => {
    const mod = model([
      { op: 'Relu', inputs: ['x1'], outputs: ['a1'] }, { op: 'Neg', inputs: ['a1'], outputs: ['b1'] },
      { op: 'Relu', inputs: ['x2'], outputs: ['a2'] }, { op: 'Neg', inputs: ['a2'], outputs: ['b2'] },
      { op: 'MatMul', inputs: ['b1', 'b2'], outputs: ['y'] },
    ], [['x1', [5, 5]], ['x2', [5, 5]]]);
    const stages = ['LegalizeOps', 'AnnotateTIROpPattern', 'FuseOps', 'FuseTIR', 'DeadCodeElimination'];
    const fusedOnce = passes(mod, stages, 'cuda');
    // FuseTIR already shares equal fused kernels; make the second group call a copy that differs only in its
    // name and internal buffer names, which is what DedupeTIR must see through.
    const fused = Object.values(fusedOnce.tir).find((f) => f.name.includes('relu'))!;
    const bufs = new Map(collectAllocs(fused.body).map((n) => [n, `${n}_copy`] as const));
    const copy: PrimFunc = { ...fused, name: `${fused.name}_copy`, body: renameStmt(fused.body, new Map(), bufs), attrs: { ...fused.attrs, origin: ["Relu 'relu_2'"] } };
    const calls = kernelCalls(fusedOnce).filter((b) => (b.value as { fn: string }).fn === fused.name);
    const second = calls[1]!;
    const before: IRModule = {
      ...fusedOnce,
      tir: { ...fusedOnce.tir, [copy.name]: copy },
      functions: { ...fusedOnce.functions, main: { ...fusedOnce.functions.main!, blocks: fusedOnce.functions.main!.blocks.map((blk) => ({ ...blk, bindings: blk.bindings.map((b) => (b === second ? { ...b, value: { ...(b.value as object), fn: copy.name } as typeof b.value } : b)) })) } },
    };
    const after = passes(before, ['DedupeTIR'], 'cuda');
    expect(Object.keys(before.tir)).toHaveLength(3);
    expect(Object.keys(after.tir)).toHaveLength(2);
    const merged = Object.values(after.tir).find((f) => f.name.includes('relu'))!;
    expect(merged.attrs.origin).toEqual(expect.arrayContaining([expect.stringContaining("'relu_0'"), expect.stringContaining("'relu_2'")]));
    const fns = kernelCalls(after).map((b) => (b.value as { fn: string }).fn);
    expect(fns[0]).toBe(fns[1]);
    const x1 = f32([5, 5], 2), x2 = f32([5, 5], 3);
    expect(toNumbers(evaluate(after, [x1, x2])[0]!)).toEqual(toNumbers(evaluate(before, [x1, x2])[0]!));
  });
});

describe('FuseOps buffer cap', () => {
  // y = x0 + x1 + ... + x8: one fused kernel would bind 9 inputs and an output.
  const names = Array.from({ length: 9 }, (_, i) => `x${i}`);
  const nodes: NodeSpec[] = names.slice(1).map((n, i) => ({ op: 'Add', inputs: [i === 0 ? 'x0' : `s${i}`, n], outputs: [i === 7 ? 'y' : `s${i + 1}`] }));
  const mod = model(nodes, names.map((n) => [n, [4]] as [string, number[]]));
  const stages = ['LegalizeOps', 'AnnotateTIROpPattern', 'FuseOps', 'FuseTIR', 'DeadCodeElimination'];

  it('webgpu: no fused kernel binds more than maxStorageBuffersPerStage (8) buffers', () => {
    const fs = Object.values(passes(mod, stages, 'webgpu').tir);
    expect(Math.max(...fs.map((f) => f.params.length))).toBeLessThanOrEqual(8);
    expect(fs.length).toBeLessThan(8); // still fused, just in more than one group
  });

  it('cuda (no cap): the whole chain is one kernel', () => {
    const fs = Object.values(passes(mod, stages, 'cuda').tir);
    expect(fs).toHaveLength(1);
    expect(fs[0]!.params).toHaveLength(10);
  });
});

describe('Identity of a constant', () => {
  it('is the constant itself (no identity kernel), also for tensors above the import-time evaluation limit', () => {
    const mod = model([
      { op: 'Identity', inputs: ['w'], outputs: ['wi'] },
      { op: 'Add', inputs: ['x', 'wi'], outputs: ['y'] },
    ], [['x', [2000]]], { w: f32([2000], 3) });
    const ops = mod.functions.main!.blocks.flatMap((b) => b.bindings).map((b) => (b.value.k === 'op' ? b.value.op : b.value.k));
    expect(ops).toEqual(['add']);
  });
});

describe('cpu local accumulators', () => {
  const legalized = (nodes: NodeSpec[], inputs: [string, number[]][], init: Record<string, HostTensor> = {}): PrimFunc[] =>
    Object.values(legalizeOps.run(model(nodes, inputs, init), { target: resolveTarget('cpu'), model: 'm', note: () => {} }).tir);
  const cases: { name: string; fns: () => PrimFunc[]; inputs: HostTensor[] }[] = [
    { name: 'matmul', fns: () => legalized([{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }], [['x', [3, 7]]], { w: f32([7, 5], 1) }), inputs: [f32([3, 7], 2), f32([7, 5], 1)] },
    {
      name: 'conv 3x3 with padding', inputs: [f32([1, 2, 6, 6], 3), f32([4, 2, 3, 3], 4)],
      fns: () => legalized([{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: { pads: [1, 1, 1, 1] } }], [['x', [1, 2, 6, 6]]], { w: f32([4, 2, 3, 3], 4) }),
    },
    { name: 'reduce max', fns: () => legalized([{ op: 'ReduceMax', inputs: ['x'], outputs: ['y'], attrs: { axes: [1], keepdims: 0 } }], [['x', [4, 9]]], {}), inputs: [f32([4, 9], 5)] },
  ];
  for (const c of cases) {
    it(`${c.name}: the rewritten kernel accumulates in a local buffer and gives bit-identical results`, () => {
      const [f] = c.fns();
      const g: PrimFunc = { ...f!, body: accumulateLocally(f!.body, (n) => f!.params.find((p) => p.name === n)) };
      let locals = 0;
      walkStmt(g.body, (s) => { if (s.k === 'alloc' && s.buffer.scope === 'local') locals++; });
      expect(locals).toBe(1);
      const out = f!.params[f!.params.length - 1]!;
      const shape = out.shape.map((d) => (d as { value: number }).value);
      const run = (fn: PrimFunc) => {
        const o: HostTensor = fromTyped('float32', shape, new Float32Array(numel(shape)));
        interpretPrimFunc(fn, [...c.inputs, o], {});
        return toNumbers(o);
      };
      expect(run(g)).toEqual(run(f!));
      expect(emitCSource([f!]).source).toMatch(/\[1\];/);
    });
  }
});

describe('WGSL float literals', () => {
  it('writes inf and nan through a helper call (WGSL rejects inf/nan const-expressions); finite values as literals', () => {
    expect(floatLit(-Infinity, 'f32')).toBe('rlx_f32_bits(0xff800000u)');
    expect(floatLit(Infinity, 'f32')).toBe('rlx_f32_bits(0x7f800000u)');
    expect(floatLit(NaN, 'f32')).toMatch(/^rlx_f32_bits\(0x7fc00000u\)$/);
    expect(floatLit(0.5, 'f32')).toBe('0.5f');
  });
});
