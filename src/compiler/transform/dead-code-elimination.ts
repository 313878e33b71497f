/**
 * DeadCodeElimination: removes bindings whose value is pure and unused (repeatedly), then tensor functions,
 * graph functions and constants nothing refers to. `call_packed` is impure and always kept.
 */
import type { GraphFunc, IRModule } from '../ir/types.js';
import { atomsOf, entryFunctions, isPure, useCounts } from '../ir/util.js';
import type { Pass } from './pass.js';

export function eliminateDeadBindings(f: GraphFunc): GraphFunc {
  let cur = f;
  for (;;) {
    const uses = useCounts(cur);
    let removed = false;
    const blocks = cur.blocks.map((blk) => ({
      ...blk,
      bindings: blk.bindings.filter((b) => {
        // tensor_to_shape defines symbolic dims that later shapes use even when its value is not referenced.
        const definesDims = b.value.k === 'op' && b.value.op === 'tensor_to_shape';
        const dead = isPure(b.value) && !definesDims && !uses.get(b.var);
        if (dead) removed = true;
        return !dead;
      }),
    }));
    cur = { ...cur, blocks };
    if (!removed) return cur;
  }
}

export const deadCodeElimination: Pass = {
  name: 'DeadCodeElimination',
  description: 'drop unused pure bindings (call_packed is never removed), then unreferenced kernels, functions and constants',
  run(mod) {
    const functions: Record<string, GraphFunc> = {};
    for (const [k, f] of Object.entries(mod.functions)) functions[k] = eliminateDeadBindings(f);
    return pruneUnreferenced({ ...mod, functions });
  },
};

/** Keeps only what entry functions reach. */
export function pruneUnreferenced(mod: IRModule): IRModule {
  const liveFns = new Set<string>(), liveTir = new Set<string>(), liveConst = new Set<string>();
  const visit = (f: GraphFunc) => {
    if (liveFns.has(f.name)) return;
    liveFns.add(f.name);
    for (const blk of f.blocks) for (const b of blk.bindings) {
      const v = b.value;
      if (v.k === 'call_tir') liveTir.add(v.fn);
      if ((v.k === 'call_packed' || v.k === 'call_pure_packed') && v.fn.startsWith('kernel:')) liveTir.add(v.fn.slice(7));
      if (v.k === 'call' && mod.functions[v.fn]) visit(mod.functions[v.fn]!);
      for (const a of atomsOf(v)) if (a.k === 'const') liveConst.add(a.name);
    }
    for (const a of f.ret) if (a.k === 'const') liveConst.add(a.name);
  };
  for (const f of entryFunctions(mod)) visit(f);
  const pick = <T>(r: Readonly<Record<string, T>>, live: Set<string>) => Object.fromEntries(Object.entries(r).filter(([k]) => live.has(k)));
  return { ...mod, functions: pick(mod.functions, liveFns), tir: pick(mod.tir, liveTir), constants: pick(mod.constants, liveConst) };
}

