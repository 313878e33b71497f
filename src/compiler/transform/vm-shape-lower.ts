/**
 * VMShapeLower: symbolic shapes become runtime checks and bindings. Every parameter gets a `vm.match_shape`
 * (checks static dims, binds symbolic ones on first sight, checks them after); `tensor_to_shape` ops become
 * `vm.tensor_to_shape`, which binds data-dependent dims from a tensor's values.
 */
import { RelaxError } from '../../diagnostics/index.js';
import type { Binding } from '../ir/types.js';
import { mapFunctions } from '../ir/util.js';
import type { Pass } from './pass.js';

export const vmShapeLower: Pass = {
  name: 'VMShapeLower',
  description: 'check input shapes and bind symbolic dims at run time (match_shape, tensor_to_shape)',
  run(mod) {
    return mapFunctions(mod, (f) => {
      if (f.attrs?.primitive) return f;
      const checks: Binding[] = f.params.map((p) => {
        if (p.sinfo.k !== 'tensor') throw new RelaxError('RLX_IR_MALFORMED', `parameter '${p.name}' is not a tensor`);
        return { var: `_match_${p.name}`, sinfo: { k: 'object' }, value: { k: 'call_packed', fn: 'vm.match_shape', args: [{ k: 'var', name: p.name }, { k: 'shape', values: p.sinfo.shape }], attrs: { dtype: p.sinfo.dtype } } };
      });
      const lowered = f.blocks.map((blk) => ({
        ...blk,
        bindings: blk.bindings.map((b): Binding => {
          const v = b.value;
          if (v.k !== 'op' || v.op !== 'tensor_to_shape') return b;
          if (b.sinfo.k !== 'shape' || !b.sinfo.values.every((x) => x.k === 'var' || x.k === 'int')) {
            throw new RelaxError('RLX_IR_MALFORMED', `tensor_to_shape must produce a shape of plain variables`);
          }
          const names = b.sinfo.values.map((x) => (x.k === 'var' ? x.name : String((x as { value: number }).value)));
          return { ...b, value: { k: 'call_packed', fn: 'vm.tensor_to_shape', args: v.args, attrs: { vars: names } } };
        }),
      }));
      return { ...f, blocks: [{ dataflow: false, bindings: checks }, ...lowered] };
    });
  },
};
