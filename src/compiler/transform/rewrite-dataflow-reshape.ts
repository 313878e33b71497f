/**
 * RewriteDataflowReshape: a call of a tensor function that only reshapes (the legalized `reshape` op, left
 * unfused; marked `attrs.viewOf: 'reshape'`) becomes `vm.reshape(x, shape)`, a view of the same bytes, instead
 * of a copy kernel (TVM's pass of the same name). StaticPlanBlockMemory and KillAfterLastUse already treat the
 * view as an alias of its source, so the source's storage lives as long as the view.
 */
import type { Binding } from '../ir/types.js';
import { mapFunctions } from '../ir/util.js';
import type { Pass } from './pass.js';

export const rewriteDataflowReshape: Pass = {
  name: 'RewriteDataflowReshape',
  description: 'unfused reshape kernels become vm.reshape views (no copy)',
  run(mod) {
    return mapFunctions(mod, (f) => {
      if (f.attrs?.primitive) return f;
      const blocks = f.blocks.map((blk) => ({
        ...blk,
        bindings: blk.bindings.map((b): Binding => {
          const v = b.value;
          if (v.k !== 'call_tir' || mod.tir[v.fn]?.attrs.viewOf !== 'reshape' || v.args.length !== 1 || b.sinfo.k !== 'tensor') return b;
          const x = v.args[0]!;
          if (x.k !== 'var' && x.k !== 'const') return b;
          return { ...b, value: { k: 'call_pure_packed', fn: 'vm.reshape', args: [x, { k: 'shape', values: b.sinfo.shape }] } };
        }),
      }));
      return { ...f, blocks };
    });
  },
};
