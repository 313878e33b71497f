/**
 * DedupeTIR: tensor functions that are structurally identical (same buffers, shape vars, body and attributes,
 * differing only in their name, their internal names and in which graph ops they came from) become one kernel. A network repeats the
 * same layer shape many times (mobilenet_v2's inverted-residual blocks, densenet's dense layers); each copy is
 * otherwise compiled by cc/nvcc and, on WebGPU, turned into its own pipeline at load time.
 *
 * The kept function is the one whose name sorts first; its `origin` becomes the union of the group's origins, and
 * every `call_tir` (and `kernel:` packed call) to a dropped copy is redirected to it.
 */
import type { Binding, GraphFunc, IRModule, Value } from '../ir/types.js';
import { boundNames, renameStmt } from '../tir/rename.js';
import type { PrimFunc } from '../tir/types.js';
import type { Pass } from './pass.js';

/**
 * Structural identity of a function: everything but its name, its origin and the names of its buffers and bound
 * variables (FuseTIR names intermediate buffers after graph vars, e.g. `t_a1` vs `t_a2`): parameters become
 * %p0, %p1, ..., allocated buffers %b0, ... and loop/iteration/let variables %v0, ... in order of appearance (`%`
 * cannot start a real name, so a renamed name never meets a free one).
 */
export function structuralKey(f: PrimFunc): string {
  const { origin: _origin, ...attrs } = f.attrs;
  const bound = boundNames(f.body);
  const bufs = new Map<string, string>(f.params.map((p, i) => [p.name, `%p${i}`]));
  [...bound.buffers].forEach((b, i) => bufs.set(b, `%b${i}`));
  const vars = new Map<string, string>([...bound.vars].map((v, i) => [v, `%v${i}`]));
  const params = f.params.map((p) => ({ ...p, name: bufs.get(p.name)! }));
  return JSON.stringify([params, f.vars, renameStmt(f.body, vars, bufs), attrs]);
}

export const dedupeTIR: Pass = {
  name: 'DedupeTIR',
  description: 'merge structurally identical tensor functions (differing only in name and origin) into one kernel',
  run(mod, ctx) {
    const groups = new Map<string, PrimFunc[]>();
    for (const name of Object.keys(mod.tir).sort()) {
      const f = mod.tir[name]!;
      const key = structuralKey(f);
      const g = groups.get(key);
      if (g) g.push(f); else groups.set(key, [f]);
    }
    const rename = new Map<string, string>();
    const tir: Record<string, PrimFunc> = {};
    for (const g of groups.values()) {
      const keep = g[0]!;
      const origin = [...new Set(g.flatMap((f) => f.attrs.origin ?? []))];
      tir[keep.name] = g.length > 1 && origin.length ? { ...keep, attrs: { ...keep.attrs, origin } } : keep;
      for (const f of g.slice(1)) {
        rename.set(f.name, keep.name);
        ctx.note('dedupe', { kernel: f.name, into: keep.name });
      }
    }
    if (rename.size === 0) return mod;
    const redirect = (v: Value): Value => {
      if (v.k === 'call_tir' && rename.has(v.fn)) return { ...v, fn: rename.get(v.fn)! };
      if ((v.k === 'call_packed' || v.k === 'call_pure_packed') && v.fn.startsWith('kernel:') && rename.has(v.fn.slice(7))) {
        return { ...v, fn: `kernel:${rename.get(v.fn.slice(7))!}` };
      }
      return v;
    };
    const functions: Record<string, GraphFunc> = {};
    for (const [k, f] of Object.entries(mod.functions)) {
      functions[k] = {
        ...f,
        blocks: f.blocks.map((blk) => ({ ...blk, bindings: blk.bindings.map((b): Binding => ({ ...b, value: redirect(b.value) })) })),
      };
    }
    return { ...mod, functions, tir };
  },
};
