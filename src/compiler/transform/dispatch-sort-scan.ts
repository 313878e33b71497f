/**
 * DispatchSortScan: replaces every `cumsum` / `topk` op binding with a `call_tir` to a dedicated kernel
 * (ops/sort-scan-kernels.ts) added to `mod.tir`. Runs on every target, so these ops never reach VM codegen
 * undispatched. Identical kernels are shared; names are derived from the op and made unique per module.
 */
import { RelaxError, withLocation } from '../../diagnostics/index.js';
import type { Atom, Binding, GraphFunc, IRModule, StructInfo } from '../ir/types.js';
import { boolAttr, normAxis, numAttr, type TensorInfo } from '../ops/shape-util.js';
import { cumsumKernel, topkKernel } from '../ops/sort-scan-kernels.js';
import type { PrimFunc } from '../tir/types.js';
import type { Pass } from './pass.js';

function atomSinfo(mod: IRModule, env: ReadonlyMap<string, StructInfo>, a: Atom): StructInfo {
  if (a.k === 'shape') return { k: 'shape', values: a.values };
  if (a.k === 'const') {
    const t = mod.constants[a.name];
    if (!t) throw new RelaxError('RLX_INTERNAL', `unknown constant '${a.name}'`);
    return { k: 'tensor', dtype: t.dtype, shape: t.shape.map((d) => ({ k: 'int', value: d, dtype: 'int64' })) };
  }
  const s = env.get(a.name);
  if (!s) throw new RelaxError('RLX_INTERNAL', `unknown variable '${a.name}'`);
  return s;
}

/** Identity of a kernel: everything but its name and origin. */
const bodyKey = (f: PrimFunc): string => JSON.stringify({ ...f, name: '', attrs: { ...f.attrs, origin: undefined } });

export const dispatchSortScan: Pass = {
  name: 'DispatchSortScan',
  description: 'replace cumsum/topk with dedicated scan and selection kernels (call_tir)',
  run(mod: IRModule): IRModule {
    const tir: Record<string, PrimFunc> = { ...mod.tir };
    const byKey = new Map<string, string>(Object.values(tir).map((f) => [bodyKey(f), f.name]));
    const addKernel = (base: string, make: (name: string) => PrimFunc): string => {
      const probe = make(base);
      const hit = byKey.get(bodyKey(probe));
      if (hit) {
        const old = tir[hit]!;
        const origin = [...(old.attrs.origin ?? []), ...(probe.attrs.origin ?? [])];
        tir[hit] = { ...old, attrs: { ...old.attrs, origin } };
        return hit;
      }
      let name = base;
      for (let i = 1; tir[name]; i++) name = `${base}_${i}`;
      const f = name === base ? probe : make(name);
      tir[name] = f;
      byKey.set(bodyKey(f), name);
      return name;
    };
    let changed = false;
    const functions: Record<string, GraphFunc> = {};
    for (const [fname, fn] of Object.entries(mod.functions)) {
      const env = new Map<string, StructInfo>(fn.params.map((p) => [p.name, p.sinfo]));
      const blocks = fn.blocks.map((blk) => ({
        ...blk,
        bindings: blk.bindings.map((b): Binding => {
          env.set(b.var, b.sinfo);
          if (b.value.k !== 'op' || (b.value.op !== 'cumsum' && b.value.op !== 'topk')) return b;
          const v = b.value;
          const origin = b.origin ? [b.origin.node ? `${b.origin.op} '${b.origin.node}'` : b.origin.op] : [v.op];
          return withLocation(b.origin ? { node: b.origin.node, op: b.origin.op, ...(b.origin.opset ? { opset: b.origin.opset } : {}) } : {}, () => {
            const args = v.args.map((a) => atomSinfo(mod, env, a));
            const x = args[0] as TensorInfo;
            changed = true;
            if (v.op === 'cumsum') {
              const opts = { exclusive: boolAttr(v.attrs, 'exclusive', false), reverse: boolAttr(v.attrs, 'reverse', false) };
              const fnName = addKernel('cumsum', (n) => withOrigin(cumsumKernel(n, x, args[1] as TensorInfo, opts), origin));
              return { ...b, value: { k: 'call_tir', fn: fnName, args: [v.args[0]!, v.args[1]!], out: b.sinfo } };
            }
            const out = b.sinfo;
            if (out.k !== 'tuple') throw new RelaxError('RLX_INTERNAL', 'topk binding must have a tuple struct info');
            const opts = { axis: normAxis('topk', numAttr(v.attrs, 'axis', -1), x.shape.length), largest: boolAttr(v.attrs, 'largest', true) };
            const fnName = addKernel('topk', (n) => withOrigin(topkKernel(n, x, out.fields[0] as TensorInfo, opts), origin));
            return { ...b, value: { k: 'call_tir', fn: fnName, args: [v.args[0]!], out } };
          });
        }),
      }));
      functions[fname] = { ...fn, blocks };
    }
    return changed ? { ...mod, functions, tir } : mod;
  },
};

function withOrigin(f: PrimFunc, origin: readonly string[]): PrimFunc {
  return { ...f, attrs: { ...f.attrs, origin } };
}
