/**
 * LegalizeOps: every high-level op with a legalization becomes a `call_tir` to a tensor function.
 * Structurally identical tensor functions are shared (one kernel, many call sites).
 * Ops without a legalization (cumsum, topk, ...) are left for library dispatch; if they are still here when the
 * module reaches VM lowering, CallTIRRewrite reports them.
 */
import { RelaxError, withLocation } from '../../diagnostics/index.js';
import type { Binding, IRModule, StructInfo } from '../ir/types.js';
import { mapFunctions } from '../ir/util.js';
import { getOp, hasOp } from '../ops/registry.js';
import type { PrimFunc } from '../tir/types.js';
import type { Pass } from './pass.js';
import { TirTable } from './tir-table.js';

export const legalizeOps: Pass = {
  name: 'LegalizeOps',
  description: 'lower high-level ops to tensor functions (call_tir), sharing identical kernels',
  run(mod) {
    const table = new TirTable(mod.tir);
    const sinfoOf = new Map<string, StructInfo>();
    const out = mapFunctions(mod, (f) => {
      for (const p of f.params) sinfoOf.set(p.name, p.sinfo);
      const blocks = f.blocks.map((blk) => ({
        ...blk,
        bindings: blk.bindings.map((b): Binding => {
          sinfoOf.set(b.var, b.sinfo);
          const v = b.value;
          if (v.k !== 'op' || !hasOp(v.op)) return b;
          const def = getOp(v.op);
          if (!def.legalize) return b;
          const where = b.origin ? { node: b.origin.node, op: b.origin.op, ...(b.origin.opset ? { opset: b.origin.opset } : {}) } : {};
          return withLocation(where, () => {
            const tensorArgs = v.args.filter((a) => a.k !== 'shape');
            const args = v.args.map((a) => a.k === 'var' ? must(sinfoOf.get(a.name), a.name) : a.k === 'const' ? constSinfo(mod, a.name) : { k: 'shape' as const, values: a.values });
            const fn: PrimFunc = def.legalize!({ name: v.op, args, out: b.sinfo, attrs: v.attrs });
            const withOrigin: PrimFunc = { ...fn, attrs: { ...fn.attrs, origin: b.origin ? [b.origin.node ? `${b.origin.op} '${b.origin.node}'` : b.origin.op] : [v.op] } };
            const name = table.add(withOrigin);
            return { ...b, value: { k: 'call_tir', fn: name, args: tensorArgs, out: b.sinfo } };
          });
        }),
      }));
      return { ...f, blocks };
    });
    return { ...out, tir: table.toRecord() };
  },
};

function must(s: StructInfo | undefined, name: string): StructInfo {
  if (!s) throw new RelaxError('RLX_IR_MALFORMED', `variable '${name}' is used before it is defined`);
  return s;
}

function constSinfo(mod: IRModule, name: string): StructInfo {
  const t = mod.constants[name];
  if (!t) throw new RelaxError('RLX_IR_MALFORMED', `constant '${name}' is missing from the module`);
  return { k: 'tensor', dtype: t.dtype, shape: t.shape.map((d) => ({ k: 'int', value: d, dtype: 'int64' })) };
}

