/** Small helpers over graph IR used by many passes. */
import type { Atom, Binding, GraphFunc, IRModule, StructInfo, Value } from './types.js';

export function atomsOf(v: Value): readonly Atom[] {
  switch (v.k) {
    case 'op': case 'call_tir': case 'call_packed': case 'call_pure_packed': case 'call': return v.args;
    case 'tuple': return v.fields;
    case 'tuple_get': return [v.tuple];
    case 'atom': return [v.atom];
  }
}

export function varsUsed(v: Value): string[] {
  return atomsOf(v).filter((a): a is Extract<Atom, { k: 'var' }> => a.k === 'var').map((a) => a.name);
}

export function allBindings(f: GraphFunc): Binding[] {
  return f.blocks.flatMap((b) => b.bindings);
}

/** Number of uses of each var (in bindings and the return). */
export function useCounts(f: GraphFunc): Map<string, number> {
  const m = new Map<string, number>();
  const inc = (n: string) => m.set(n, (m.get(n) ?? 0) + 1);
  for (const b of allBindings(f)) for (const n of varsUsed(b.value)) inc(n);
  for (const a of f.ret) if (a.k === 'var') inc(a.name);
  return m;
}

/** Only `call_packed` is impure: it is never removed or reordered. */
export function isPure(v: Value): boolean {
  return v.k !== 'call_packed';
}

export function mapFunctions(mod: IRModule, fn: (f: GraphFunc) => GraphFunc): IRModule {
  const functions: Record<string, GraphFunc> = {};
  for (const [k, f] of Object.entries(mod.functions)) functions[k] = fn(f);
  return { ...mod, functions };
}

/** Returns the graph functions that are entry points (not fused primitives). */
export function entryFunctions(mod: IRModule): GraphFunc[] {
  return Object.values(mod.functions).filter((f) => !f.attrs?.primitive);
}

export function tensorSinfo(s: StructInfo, what: string): Extract<StructInfo, { k: 'tensor' }> {
  if (s.k !== 'tensor') throw new Error(`${what}: expected a tensor, got ${s.k}`);
  return s;
}

/** A name not yet used in `taken`, derived from `base` deterministically. */
export function freshName(base: string, taken: { has(n: string): boolean }): string {
  const clean = base.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=\d)/, '_');
  if (!taken.has(clean)) return clean;
  for (let i = 1; ; i++) if (!taken.has(`${clean}_${i}`)) return `${clean}_${i}`;
}
