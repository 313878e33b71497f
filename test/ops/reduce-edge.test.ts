/**
 * Edge cases of reductions, arg-reductions, softmax, normalizations and einsum: through the ONNX importer and the
 * TIR interpreter (numbers computed here in plain JS), plus the GPU rules each kernel gets.
 */
import { describe, expect, test } from 'vitest';
import { importOnnx } from '../../src/compiler/frontend/onnx/import.js';
import type { Attrs, StructInfo } from '../../src/compiler/ir/types.js';
import { getOp } from '../../src/compiler/ops/registry.js';
import { resolveTarget } from '../../src/config/targets.js';
import { DEFAULT_GPU_RULES } from '../../src/compiler/schedule/gpu/index.js';
import { int, ivar } from '../../src/compiler/tir/expr.js';
import { interpretPrimFunc } from '../../src/compiler/tir/interpret.js';
import type { DType, PrimFunc } from '../../src/compiler/tir/types.js';
import { verifyGpuMemory } from '../../src/compiler/verify/memory.js';
import { isRelaxError } from '../../src/diagnostics/index.js';
import { DTYPE_BYTES } from '../../src/formats/dtype.js';
import { fromTyped, numel, toNumbers, type HostTensor } from '../../src/formats/tensor.js';
import { evaluate } from '../frontend/evaluate.js';
import { buildModel, type NodeSpec, type VISpec } from '../frontend/onnx-builder.js';

const T = (dtype: DType, shape: (number | string)[]): StructInfo => ({ k: 'tensor', dtype, shape: shape.map((d) => (typeof d === 'number' ? int(d) : ivar(d))) });
const f32 = (shape: number[], vals?: number[]) => fromTyped('float32', shape, Float32Array.from(vals ?? Array.from({ length: numel(shape) }, (_, i) => Math.sin(i * 1.3) * 3)));
const i64 = (vals: number[]) => fromTyped('int64', [vals.length], BigInt64Array.from(vals.map(BigInt)));

/** Legalizes one op and runs it with the interpreter; returns the output(s) as numbers. */
function runOp(op: string, args: StructInfo[], attrs: Attrs, ins: HostTensor[], vars: Record<string, number> = {}): { out: number[][]; shapes: number[][]; fn: PrimFunc } {
  const def = getOp(op);
  const out = def.infer(args, attrs);
  const fn = def.legalize!({ name: `k_${op}`, args, out, attrs });
  const outs = (out.k === 'tuple' ? out.fields : [out]).map((s) => {
    if (s.k !== 'tensor') throw new Error('tensor expected');
    const shape = s.shape.map((e) => (e.k === 'int' ? e.value : vars[(e as { name: string }).name]!));
    return { dtype: s.dtype, shape, data: new Uint8Array(numel(shape) * DTYPE_BYTES[s.dtype]) } as HostTensor;
  });
  interpretPrimFunc(fn, [...ins, ...outs], vars);
  return { out: outs.map(toNumbers), shapes: outs.map((o) => o.shape), fn };
}

/** Imports a one-node model and evaluates it. */
function runModel(opset: number, node: NodeSpec, inputs: (VISpec & { value: HostTensor })[], outputs: VISpec[], inits: Record<string, HostTensor> = {}): HostTensor[] {
  const bytes = buildModel({ opset, nodes: [node], inputs: inputs.map(({ value: _v, ...vi }) => vi), outputs, initializers: inits });
  return evaluate(importOnnx(bytes, { modelPath: '/tmp/m.onnx', modelName: 'm' }), inputs.map((i) => i.value));
}

function close(a: readonly number[], b: readonly number[], tol = 1e-5): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => {
    if (Number.isNaN(b[i]!)) expect(x, `element ${i}`).toBeNaN();
    else if (!Number.isFinite(b[i]!)) expect(x, `element ${i}`).toBe(b[i]);
    else expect(Math.abs(x - b[i]!), `element ${i}: ${x} vs ${b[i]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i]!)));
  });
}

describe('reductions', () => {
  test('empty reductions give each identity, through the epilogue', () => {
    const x = f32([2, 0, 3], []);
    const expected: Record<string, number> = {
      sum: 0, prod: 1, max: -Infinity, min: Infinity, sum_square: 0, l1: 0, l2: 0, mean: NaN, log_sum: -Infinity, log_sum_exp: -Infinity,
    };
    for (const [kind, v] of Object.entries(expected)) {
      const r = runOp(`reduce_${kind}`, [T('float32', [2, 0, 3])], { axes: [1], keepdims: true }, [x]);
      expect(r.shapes[0], kind).toEqual([2, 1, 3]);
      close(r.out[0]!, Array(6).fill(v));
    }
    // Empty non-reduced dim: nothing to write.
    expect(runOp('reduce_sum', [T('float32', [2, 0, 3])], { axes: [2], keepdims: false }, [x]).shapes[0]).toEqual([2, 0]);
  });

  test('symbolic shapes, keepdims off, several axes', () => {
    const vals = Array.from({ length: 24 }, (_, i) => i - 7);
    const r = runOp('reduce_sum', [T('float32', ['n', 3, 4])], { axes: [0, 2], keepdims: false }, [f32([2, 3, 4], vals)], { n: 2 });
    const exp = [0, 1, 2].map((j) => [0, 1].reduce((s, a) => s + [0, 1, 2, 3].reduce((t, k) => t + vals[a * 12 + j * 4 + k]!, 0), 0));
    expect(r.shapes[0]).toEqual([3]);
    close(r.out[0]!, exp);
    // All axes to a scalar.
    const s = runOp('reduce_max', [T('float32', [2, 3, 4])], { keepdims: false }, [f32([2, 3, 4], vals)]);
    expect(s.shapes[0]).toEqual([]);
    expect(s.out[0]).toEqual([16]);
  });

  test('max/min start from the first element (no infinities in non-empty kernels), -inf rows stay -inf', () => {
    const r = runOp('reduce_max', [T('float32', [2, 2])], { axes: [1], keepdims: true }, [f32([2, 2], [-Infinity, -Infinity, -5, -3])]);
    close(r.out[0]!, [-Infinity, -3]);
    expect(JSON.stringify(r.fn.body)).not.toContain('null'); // JSON writes ±Infinity as null
    const lse = runOp('reduce_log_sum_exp', [T('float32', [3, 2])], { axes: [1], keepdims: false }, [f32([3, 2], [1000, 1000, -Infinity, -Infinity, 0, Math.log(3)])]);
    close(lse.out[0]!, [1000 + Math.log(2), -Infinity, Math.log(4)]);
  });

  test('bool min/max are and/or; ints reduce exactly', () => {
    const b = fromTyped('bool', [3, 2], Uint8Array.from([1, 1, 1, 0, 0, 0]));
    expect(runOp('reduce_min', [T('bool', [3, 2])], { axes: [1] }, [b]).out[0]).toEqual([1, 0, 0]);
    expect(runOp('reduce_max', [T('bool', [3, 2])], { axes: [1] }, [b]).out[0]).toEqual([1, 1, 0]);
    const i = fromTyped('int32', [2, 3], Int32Array.from([1, -2, 3, 2147483, 5, -6]));
    expect(runOp('reduce_prod', [T('int32', [2, 3])], { axes: [1], keepdims: false }, [i]).out[0]).toEqual([-6, 2147483 * -30]);
    expect(runOp('reduce_mean', [T('int32', [2, 3])], { axes: [0], keepdims: false }, [fromTyped('int32', [2, 3], Int32Array.from([1, 2, 3, 3, 4, 6]))]).out[0]).toEqual([2, 3, 4]);
  });

  test('axes: attribute before opset 13/18, input after; noop_with_empty_axes; non-constant axes are a diagnostic', () => {
    const x = f32([2, 3]);
    const xs = toNumbers(x);
    const data = { name: 'x', dtype: 'float32' as const, dims: [2, 3], value: x };
    const out = (dims: number[]) => [{ name: 'y', dtype: 'float32' as const, dims }];
    // ReduceMean opset 13: axes attribute.
    close(toNumbers(runModel(13, { op: 'ReduceMean', inputs: ['x'], outputs: ['y'], attrs: { axes: [-1], keepdims: 0 } }, [data], out([2]))[0]!),
      [0, 1].map((r) => (xs[r * 3]! + xs[r * 3 + 1]! + xs[r * 3 + 2]!) / 3));
    // ReduceSum opset 13: axes input (initializer), empty axes with and without noop.
    const empty = fromTyped('int64', [0], new BigInt64Array(0));
    const noop = runModel(13, { op: 'ReduceSum', inputs: ['x', 'axes'], outputs: ['y'], attrs: { noop_with_empty_axes: 1 } }, [data], out([2, 3]), { axes: empty });
    close(toNumbers(noop[0]!), xs);
    const all = runModel(13, { op: 'ReduceSum', inputs: ['x', 'axes'], outputs: ['y'], attrs: { keepdims: 0 } }, [data], out([]), { axes: empty });
    close(toNumbers(all[0]!), [xs.reduce((a, b) => a + b, 0)]);
    // Absent optional axes input = all axes.
    close(toNumbers(runModel(18, { op: 'ReduceL2', inputs: ['x'], outputs: ['y'] }, [data], out([1, 1]))[0]!), [Math.sqrt(xs.reduce((a, b) => a + b * b, 0))]);
    // axes computed at run time.
    try {
      importOnnx(buildModel({
        opset: 18, nodes: [{ op: 'ReduceMax', name: 'rmax', inputs: ['x', 'axes'], outputs: ['y'] }],
        inputs: [{ name: 'x', dtype: 'float32', dims: [2, 3] }, { name: 'axes', dtype: 'int64', dims: [1] }], outputs: out([2, 1]),
      }), { modelPath: '/tmp/m.onnx', modelName: 'm' });
      expect.unreachable();
    } catch (e) {
      if (!isRelaxError(e)) throw e;
      expect(e.diagnostic.code).toBe('RLX_ONNX_UNSUPPORTED');
      expect(e.diagnostic.message).toMatch(/ReduceMax \(opset 18\).*'rmax'.*'axes' input that is not a constant/);
      expect(e.diagnostic.where?.node).toBe('rmax');
      expect(e.diagnostic.hint).toMatch(/build time/);
    }
    expect(() => runOp('reduce_sum', [T('float32', [2, 3])], { axes: [2] }, [x])).toThrow(/axis 2 is out of range/);
  });
});

describe('argmax / argmin', () => {
  test('ties pick the first index, or the last with select_last_index; int64 result', () => {
    const x = f32([2, 4], [1, 5, 5, 0, 2, 2, -1, 2]);
    expect(runOp('argmax', [T('float32', [2, 4])], { axis: 1, keepdims: false }, [x]).out[0]).toEqual([1, 0]);
    expect(runOp('argmax', [T('float32', [2, 4])], { axis: -1, keepdims: true, select_last_index: true }, [x]).out[0]).toEqual([2, 3]);
    const mn = runOp('argmin', [T('float32', [2, 4])], { axis: 0, keepdims: true }, [x]);
    expect(mn.shapes[0]).toEqual([1, 4]);
    expect(mn.out[0]).toEqual([0, 1, 1, 0]);
    expect(runOp('argmin', [T('float32', [2, 4])], { axis: 0, select_last_index: true }, [f32([2, 4], [1, 1, 1, 1, 1, 0, 2, 1])]).out[0]).toEqual([1, 1, 0, 1]);
    expect(getOp('argmax').infer([T('float32', [3, 5])], { axis: 1 })).toEqual(T('int64', [3, 1]));
  });
});

describe('softmax family', () => {
  const ref = (xs: number[], log: boolean) => {
    const m = Math.max(...xs), s = xs.reduce((a, v) => a + Math.exp(v - m), 0);
    return xs.map((v) => (log ? v - m - Math.log(s) : Math.exp(v - m) / s));
  };
  test('opset < 13 flattens to 2-D at axis; opset 13 normalizes one axis', () => {
    const x = f32([2, 3, 4]);
    const xs = toNumbers(x);
    for (const [op, log] of [['Softmax', false], ['LogSoftmax', true]] as const) {
      const old = runModel(11, { op, inputs: ['x'], outputs: ['y'], attrs: { axis: 1 } }, [{ name: 'x', dtype: 'float32', dims: [2, 3, 4], value: x }], [{ name: 'y', dtype: 'float32', dims: [2, 3, 4] }]);
      close(toNumbers(old[0]!), [...ref(xs.slice(0, 12), log), ...ref(xs.slice(12), log)]);
      const cur = runModel(13, { op, inputs: ['x'], outputs: ['y'], attrs: { axis: 0 } }, [{ name: 'x', dtype: 'float32', dims: [2, 3, 4], value: x }], [{ name: 'y', dtype: 'float32', dims: [2, 3, 4] }]);
      const exp = new Array<number>(24);
      for (let j = 0; j < 12; j++) { const r = ref([xs[j]!, xs[12 + j]!], log); exp[j] = r[0]!; exp[12 + j] = r[1]!; }
      close(toNumbers(cur[0]!), exp);
    }
  });
});

describe('normalizations', () => {
  const stats = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return { m, v: xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length };
  };
  test('layer_norm without bias returns one tensor; with stats a tuple (Y, Mean, InvStdDev)', () => {
    const x = f32([2, 3]), g = f32([3], [1, 2, 0.5]);
    const xs = toNumbers(x);
    const plain = runOp('layer_norm', [T('float32', [2, 3]), T('float32', [3])], { axis: 1, epsilon: 1e-3 }, [x, g]);
    const exp: number[] = [], means: number[] = [], invs: number[] = [];
    for (let r = 0; r < 2; r++) {
      const row = xs.slice(r * 3, r * 3 + 3), { m, v } = stats(row), inv = 1 / Math.sqrt(v + 1e-3);
      row.forEach((e, j) => exp.push((e - m) * inv * [1, 2, 0.5][j]!));
      means.push(m); invs.push(inv);
    }
    expect(plain.out).toHaveLength(1);
    close(plain.out[0]!, exp, 1e-4);
    const withStats = runOp('layer_norm', [T('float32', [2, 3]), T('float32', [3]), T('float32', [3])], { axis: -1, epsilon: 1e-3, stats: true }, [x, g, f32([3], [0, 0, 0])]);
    expect(withStats.shapes).toEqual([[2, 3], [2, 1], [2, 1]]);
    close(withStats.out[1]!, means, 1e-5);
    close(withStats.out[2]!, invs, 1e-4);
    expect(() => getOp('layer_norm').infer([T('float32', [2, 3]), T('float32', [4])], { axis: -1 })).toThrow(/does not broadcast/);
  });

  test('LayerNormalization with only Y requested imports as a plain layer_norm', () => {
    const bytes = buildModel({
      opset: 17, nodes: [{ op: 'LayerNormalization', inputs: ['x', 'g'], outputs: ['y'], attrs: { axis: 1 } }],
      inputs: [{ name: 'x', dtype: 'float32', dims: [2, 3] }, { name: 'g', dtype: 'float32', dims: [3] }], outputs: [{ name: 'y', dtype: 'float32', dims: [2, 3] }],
    });
    const mod = importOnnx(bytes, { modelPath: '/tmp/m.onnx', modelName: 'm' });
    const b = mod.functions.main!.blocks[0]!.bindings;
    expect(b).toHaveLength(1);
    expect(b[0]!.value).toMatchObject({ k: 'op', op: 'layer_norm', attrs: { stats: false } });
  });

  test('batch_norm_train: batch statistics and running averages', () => {
    const x = f32([2, 2, 3]);
    const xs = toNumbers(x);
    const r = runOp('batch_norm_train', [T('float32', [2, 2, 3]), ...Array(4).fill(T('float32', [2]))], { epsilon: 1e-5, momentum: 0.8 },
      [x, f32([2], [1, 1]), f32([2], [0, 0]), f32([2], [0.5, -1]), f32([2], [2, 3])]);
    for (let c = 0; c < 2; c++) {
      const vals = [0, 1].flatMap((n) => xs.slice(n * 6 + c * 3, n * 6 + c * 3 + 3));
      const { m, v } = stats(vals);
      close([r.out[1]![c]!], [[0.5, -1][c]! * 0.8 + 0.2 * m], 1e-5);
      close([r.out[2]![c]!], [[2, 3][c]! * 0.8 + 0.2 * v], 1e-5);
      close([r.out[0]![c * 3]!], [(xs[c * 3]! - m) / Math.sqrt(v + 1e-5)], 1e-4);
    }
  });
});

describe('einsum', () => {
  const run = (eq: string, shapes: number[][], vals: number[][]) =>
    runOp('einsum', shapes.map((s) => T('float32', s)), { equation: eq }, shapes.map((s, i) => f32(s, vals[i])));
  test('implicit output, transpose, diagonal, outer product, ellipsis broadcast', () => {
    const a = [1, 2, 3, 4, 5, 6], b = [1, 0, 2, 1, -1, 3];
    const mm = run('ij,jk', [[2, 3], [3, 2]], [a, b]);
    expect(mm.shapes[0]).toEqual([2, 2]);
    expect(mm.out[0]).toEqual([1 + 4 - 3, 0 + 2 + 9, 4 + 10 - 6, 0 + 5 + 18]);
    expect(run('ij->ji', [[2, 3]], [a]).out[0]).toEqual([1, 4, 2, 5, 3, 6]);
    expect(run('ii->i', [[2, 2]], [[1, 2, 3, 4]]).out[0]).toEqual([1, 4]);
    expect(run('ii', [[2, 2]], [[1, 2, 3, 4]]).out[0]).toEqual([5]);
    expect(run('i,j->ij', [[2], [3]], [[1, 2], [1, 10, 100]]).out[0]).toEqual([1, 10, 100, 2, 20, 200]);
    const e = run('...ij,...jk->...ik', [[2, 1, 2], [1, 2, 1]], [[1, 2, 3, 4], [5, 6]]);
    expect(e.shapes[0]).toEqual([2, 1, 1]);
    expect(e.out[0]).toEqual([17, 39]);
    expect(() => run('ij,jk', [[2, 3], [2, 2]], [a, [1, 2, 3, 4]])).toThrow(/sizes 3 and 2/);
    expect(() => run('ij->k', [[2, 3]], [a])).toThrow(/not in any operand/);
  });
});

describe('GPU rules', () => {
  const gpu = resolveTarget('webgpu');
  const schedule = (fn: PrimFunc) => {
    for (const r of DEFAULT_GPU_RULES) { const s = r.apply(fn, gpu); if (s) return s; }
    throw new Error('no rule');
  };
  const legal = (op: string, args: StructInfo[], attrs: Attrs) => {
    const def = getOp(op);
    return def.legalize!({ name: op, args, out: def.infer(args, attrs), attrs });
  };
  test('plain reductions take Reduction; softmax, norms and log-sum-exp take RowReduction, one thread block per row; all verify', () => {
    const x = T('float32', ['n', 64]);
    const cases: [string, StructInfo[], Attrs, string][] = [
      ['reduce_sum', [x], { axes: [1] }, 'Reduction'],
      ['reduce_mean', [x], { axes: [0, 1], keepdims: false }, 'Reduction'],
      ['reduce_l2', [x], { axes: [1] }, 'Reduction'],
      ['reduce_min', [T('bool', [4, 8])], { axes: [1] }, 'Reduction'],
      ['softmax', [x], { axis: 1 }, 'RowReduction'],
      ['log_softmax', [x], { axis: 0 }, 'RowReduction'],
      ['reduce_log_sum_exp', [x], { axes: [1] }, 'RowReduction'],
      ['layer_norm', [x, T('float32', [64]), T('float32', [64])], { axis: 1, stats: true }, 'RowReduction'],
      ['rms_norm', [x, T('float32', [64])], { axis: 0 }, 'RowReduction'],
      ['instance_norm', [T('float32', [2, 3, 'h', 5]), T('float32', [3]), T('float32', [3])], {}, 'RowReduction'],
      ['batch_norm_train', [T('float32', [2, 3, 4]), ...Array(4).fill(T('float32', [3]))], {}, 'RowReduction'],
    ];
    for (const [op, args, attrs, rule] of cases) {
      const s = schedule(legal(op, args, attrs));
      expect(s.attrs.scheduledBy, op).toBe(rule);
      expect(() => verifyGpuMemory(s, { model: 'm', target: gpu })).not.toThrow();
      let globalAlloc = false;
      JSON.stringify(s.body, (k, v) => { if (k === 'scope' && v === 'global') globalAlloc = true; return v; });
      expect(globalAlloc, `${op} keeps a global intermediate`).toBe(false);
    }
    const sm = schedule(legal('softmax', [T('float32', [6, 'd'])], { axis: 1 }));
    expect(sm.attrs.launch?.grid).toEqual([int(6)]);
    expect(sm.attrs.launch?.block[0]).toBeLessThanOrEqual(gpu.attrs.maxThreadsPerBlock);
  });
});
