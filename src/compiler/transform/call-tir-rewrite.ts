/**
 * CallTIRRewrite: makes destination passing explicit. `y = call_tir(f, args)` becomes
 * `y = vm.alloc_tensor(shape, dtype)` (one per output, then a tuple for several) and an impure
 * `call_packed kernel:f(args..., outs...)`. High-level ops still present here were never dispatched or
 * legalized: that is an error naming the node and op (TVM: "CodeGenVM cannot handle this intrinsic").
 */
import { RelaxError } from '../../diagnostics/index.js';
import type { Atom, Binding, StructInfo } from '../ir/types.js';
import { freshName, mapFunctions, allBindings } from '../ir/util.js';
import type { Pass } from './pass.js';

export const callTIRRewrite: Pass = {
  name: 'CallTIRRewrite',
  description: 'explicit output allocation for call_tir (destination passing) and kernel calls',
  run(mod) {
    return mapFunctions(mod, (f) => {
      if (f.attrs?.primitive) return f;
      const taken = new Set([...f.params.map((p) => p.name), ...allBindings(f).map((b) => b.var)]);
      const blocks = f.blocks.map((blk) => ({
        dataflow: false,
        bindings: blk.bindings.flatMap((b): Binding[] => {
          const v = b.value;
          if (v.k === 'op') {
            if (v.op === 'tensor_to_shape') return [b];
            const o = b.origin;
            throw new RelaxError('RLX_UNDISPATCHED_OP',
              `op '${v.op}' reached VM code generation without being dispatched or legalized (CodeGenVM cannot handle this intrinsic)`,
              o ? { node: o.node, op: o.op, ...(o.opset ? { opset: o.opset } : {}) } : { op: v.op },
              `The pipeline must run a pass that lowers '${v.op}' (library dispatch: DispatchSortScan / DispatchSampling, or LegalizeOps).`);
          }
          if (v.k === 'call') throw new RelaxError('RLX_IR_MALFORMED', `call to fused function '${v.fn}' was not merged by FuseTIR`);
          if (v.k !== 'call_tir') return [b];
          const outs: { name: string; sinfo: StructInfo }[] = b.sinfo.k === 'tuple'
            ? b.sinfo.fields.map((s, i) => { const n = freshName(`${b.var}_${i}`, taken); taken.add(n); return { name: n, sinfo: s }; })
            : [{ name: b.var, sinfo: b.sinfo }];
          const allocs: Binding[] = outs.map((o) => {
            if (o.sinfo.k !== 'tensor') throw new RelaxError('RLX_IR_MALFORMED', `call_tir output of '${b.var}' is not a tensor`);
            return { var: o.name, sinfo: o.sinfo, value: { k: 'call_pure_packed', fn: 'vm.alloc_tensor', args: [{ k: 'shape', values: o.sinfo.shape }], attrs: { dtype: o.sinfo.dtype } } };
          });
          const callVar = freshName(`_${v.fn}`, taken); taken.add(callVar);
          const outAtoms: Atom[] = outs.map((o) => ({ k: 'var', name: o.name }));
          const call: Binding = { var: callVar, sinfo: { k: 'object' }, value: { k: 'call_packed', fn: `kernel:${v.fn}`, args: [...v.args, ...outAtoms] }, ...(b.origin ? { origin: b.origin } : {}) };
          const tuple: Binding[] = b.sinfo.k === 'tuple' ? [{ var: b.var, sinfo: b.sinfo, value: { k: 'tuple', fields: outAtoms } }] : [];
          return [...allocs, call, ...tuple];
        }),
      }));
      return { ...f, blocks };
    });
  },
};
