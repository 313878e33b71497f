/**
 * Test-only graph evaluator: walks `main`'s bindings, legalizes each op with the op registry (or runs the
 * call_tir kernel already in the module) and runs it with the TIR interpreter.
 */
import { DTYPE_BYTES } from '../../src/formats/dtype.js';
import { numel, toNumbers, type HostTensor } from '../../src/formats/tensor.js';
import type { Atom, IRModule, StructInfo } from '../../src/compiler/ir/types.js';
import { getOp } from '../../src/compiler/ops/registry.js';
import { evalIntExpr, interpretPrimFunc } from '../../src/compiler/tir/interpret.js';
import type { PrimFunc } from '../../src/compiler/tir/types.js';

type Val = HostTensor | { shape: number[] } | Val[];
const isTensor = (v: Val): v is HostTensor => !Array.isArray(v) && 'data' in v;

export interface EvalStats { kernels: PrimFunc[] }

export function evaluate(mod: IRModule, inputs: readonly HostTensor[], stats?: EvalStats): HostTensor[] {
  const f = mod.functions.main!;
  const env = new Map<string, Val>();
  const sinfos = new Map<string, StructInfo>();
  const sym: Record<string, number> = {};
  if (inputs.length !== f.params.length) throw new Error(`main takes ${f.params.length} inputs, got ${inputs.length}`);
  f.params.forEach((p, i) => {
    const t = inputs[i]!;
    const s = p.sinfo;
    if (s.k !== 'tensor') throw new Error('non-tensor param');
    if (s.dtype !== t.dtype || s.shape.length !== t.shape.length) throw new Error(`input ${p.name}: expected ${s.dtype} rank ${s.shape.length}, got ${t.dtype}[${t.shape}]`);
    s.shape.forEach((d, j) => {
      if (d.k === 'var') sym[d.name] ??= t.shape[j]!;
      else if (evalIntExpr(d, sym) !== t.shape[j]) throw new Error(`input ${p.name} dim ${j}: expected ${evalIntExpr(d, sym)}, got ${t.shape[j]}`);
    });
    env.set(p.name, t);
    sinfos.set(p.name, s);
  });
  const value = (a: Atom): Val => {
    if (a.k === 'const') return mod.constants[a.name]!;
    if (a.k === 'shape') return { shape: a.values.map((e) => evalIntExpr(e, sym)) };
    const v = env.get(a.name);
    if (v === undefined) throw new Error(`unbound ${a.name}`);
    return v;
  };
  const sinfoOf = (a: Atom): StructInfo => {
    if (a.k === 'const') { const t = mod.constants[a.name]!; return { k: 'tensor', dtype: t.dtype, shape: t.shape.map((d) => ({ k: 'int', value: d, dtype: 'int64' })) }; }
    if (a.k === 'shape') return { k: 'shape', values: a.values };
    return sinfos.get(a.name)!;
  };
  const alloc = (s: StructInfo): HostTensor[] => {
    if (s.k === 'tensor') {
      const shape = s.shape.map((e) => evalIntExpr(e, sym));
      return [{ dtype: s.dtype, shape, data: new Uint8Array(numel(shape) * DTYPE_BYTES[s.dtype]) }];
    }
    if (s.k === 'tuple') return s.fields.flatMap(alloc);
    throw new Error(`cannot allocate ${s.k}`);
  };
  const run = (fn: PrimFunc, args: readonly Atom[], out: StructInfo): Val => {
    stats?.kernels.push(fn);
    const ins = args.map(value).filter(isTensor);
    const outs = alloc(out);
    interpretPrimFunc(fn, [...ins, ...outs], sym);
    return out.k === 'tuple' ? outs : outs[0]!;
  };
  for (const blk of f.blocks) {
    for (const b of blk.bindings) {
      const v = b.value;
      let r: Val;
      switch (v.k) {
        case 'op': {
          if (v.op === 'tensor_to_shape') {
            const t = value(v.args[0]!) as HostTensor;
            const names = v.attrs.vars as string[];
            const vals = toNumbers(t);
            names.forEach((n, i) => { sym[n] = vals[i]!; });
            r = { shape: vals };
            break;
          }
          const def = getOp(v.op);
          if (!def.legalize) throw new Error(`op ${v.op} has no legalization (dispatch it first)`);
          const prim = def.legalize({ name: b.var, args: v.args.map(sinfoOf), out: b.sinfo, attrs: v.attrs });
          r = run(prim, v.args, b.sinfo);
          break;
        }
        case 'call_tir': r = run(mod.tir[v.fn]!, v.args, v.out); break;
        case 'tuple': r = v.fields.map(value); break;
        case 'tuple_get': r = (value(v.tuple) as Val[])[v.index]!; break;
        case 'atom': r = value(v.atom); break;
        default: throw new Error(`cannot evaluate ${v.k}`);
      }
      env.set(b.var, r);
      sinfos.set(b.var, b.sinfo);
    }
  }
  return f.ret.map((a) => value(a) as HostTensor);
}

/** ONNX-runner style comparison; returns a failure message or undefined. */
export function compare(actual: HostTensor, expected: HostTensor, rtol = 1e-3, atol = 1e-7): string | undefined {
  if (actual.dtype !== expected.dtype) return `dtype ${actual.dtype} != ${expected.dtype}`;
  if (actual.shape.join(',') !== expected.shape.join(',')) return `shape [${actual.shape}] != [${expected.shape}]`;
  const a = toNumbers(actual), e = toNumbers(expected);
  const exact = !actual.dtype.startsWith('float') && actual.dtype !== 'bfloat16';
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = e[i]!;
    if ((Number.isNaN(y) && Number.isNaN(x)) || x === y) continue; // x === y: equal infinities too
    const ok = exact ? x === y : Math.abs(x - y) <= atol + rtol * Math.abs(y);
    if (!ok) return `element ${i}: ${x} != ${y}`;
  }
  return undefined;
}
