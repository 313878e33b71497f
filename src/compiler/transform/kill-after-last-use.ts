/** KillAfterLastUse: frees each storage right after the last use of the last tensor placed in it. */
import type { Binding } from '../ir/types.js';
import { allBindings, mapFunctions } from '../ir/util.js';
import type { Pass } from './pass.js';
import { lastUses } from './static-plan-block-memory.js';

export const killAfterLastUse: Pass = {
  name: 'KillAfterLastUse',
  description: 'free each storage right after its last use (never storages of returned tensors)',
  run(mod) {
    return mapFunctions(mod, (f) => {
      if (f.attrs?.primitive) return f;
      const bs = allBindings(f);
      const last = lastUses(f);
      const killAt = new Map<number, string[]>();
      const end = new Map<string, number>();
      for (const b of bs) {
        const v = b.value;
        if (v.k === 'call_pure_packed' && v.fn === 'vm.alloc_tensor' && v.args[0]?.k === 'var') {
          const s = v.args[0].name;
          end.set(s, Math.max(end.get(s) ?? -1, last.get(b.var) ?? -1, last.get(s) ?? -1));
        }
      }
      for (const [s, i] of end) if (i !== Infinity && i >= 0) killAt.set(i, [...(killAt.get(i) ?? []), s]);
      const out: Binding[] = [];
      bs.forEach((b, i) => {
        out.push(b);
        for (const s of (killAt.get(i) ?? []).sort()) out.push({ var: `_kill_${s}`, sinfo: { k: 'object' }, value: { k: 'call_packed', fn: 'vm.kill', args: [{ k: 'var', name: s }] } });
      });
      return { ...f, blocks: [{ dataflow: false, bindings: out }] };
    });
  },
};
