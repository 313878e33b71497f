/**
 * StaticPlanBlockMemory: every `vm.alloc_tensor(shape)` gets a storage. A storage whose tensor is dead is reused
 * by a later allocation of the same byte size (sizes may be symbolic: equal expressions match). Tensors the
 * function returns get storages of their own that are never reused.
 */
import { DTYPE_BYTES, type DType } from '../../formats/dtype.js';
import type { Binding, GraphFunc } from '../ir/types.js';
import { allBindings, freshName, mapFunctions, varsUsed } from '../ir/util.js';
import { int, mul, product } from '../tir/expr.js';
import type { Pass } from './pass.js';

/** Index of the last binding that uses each var (tuple members inherit their tuple's uses); Infinity for returns. */
export function lastUses(f: GraphFunc): Map<string, number> {
  const bs = allBindings(f);
  const last = new Map<string, number>();
  const alias = new Map<string, string[]>();
  bs.forEach((b, i) => {
    for (const n of varsUsed(b.value)) last.set(n, i);
    if (b.value.k === 'tuple' || b.value.k === 'tuple_get' || (b.value.k === 'call_pure_packed' && b.value.fn === 'vm.reshape')) alias.set(b.var, varsUsed(b.value));
  });
  for (const a of f.ret) if (a.k === 'var') last.set(a.name, Infinity);
  // Propagate: a member lives as long as any alias of it.
  for (let i = bs.length - 1; i >= 0; i--) {
    const b = bs[i]!;
    const members = alias.get(b.var);
    if (!members) continue;
    const l = last.get(b.var) ?? i;
    for (const m of members) last.set(m, Math.max(last.get(m) ?? 0, l));
  }
  return last;
}

export const staticPlanBlockMemory: Pass = {
  name: 'StaticPlanBlockMemory',
  description: 'assign storages to tensors and reuse a dead tensor\'s storage for a later one of equal size',
  run(mod) {
    return mapFunctions(mod, (f) => {
      if (f.attrs?.primitive) return f;
      const bs = allBindings(f);
      const last = lastUses(f);
      const taken = new Set([...f.params.map((p) => p.name), ...bs.map((b) => b.var)]);
      const free: { key: string; storage: string }[] = [];
      const storageOf = new Map<string, string>();
      /** Byte-size expression (as a key) of each planned tensor. */
      const keyOf = new Map<string, string>();
      const out: Binding[] = [];
      bs.forEach((b, i) => {
        const v = b.value;
        if (v.k === 'call_pure_packed' && v.fn === 'vm.alloc_tensor' && b.sinfo.k === 'tensor') {
          const dtype = b.sinfo.dtype as DType;
          const bytes = mul(product(b.sinfo.shape), int(DTYPE_BYTES[dtype]));
          const key = JSON.stringify(bytes);
          keyOf.set(b.var, key);
          const returned = last.get(b.var) === Infinity;
          const idx = returned ? -1 : free.findIndex((x) => x.key === key);
          let storage: string;
          if (idx >= 0) {
            storage = free.splice(idx, 1)[0]!.storage;
          } else {
            storage = freshName(`storage${storageOf.size}`, taken); taken.add(storage);
            out.push({ var: storage, sinfo: { k: 'object' }, value: { k: 'call_pure_packed', fn: 'vm.alloc_storage', args: [{ k: 'shape', values: [bytes] }], attrs: { returned } } });
          }
          storageOf.set(b.var, storage);
          out.push({ ...b, value: { k: 'call_pure_packed', fn: 'vm.alloc_tensor', args: [{ k: 'var', name: storage }, ...v.args], attrs: { ...v.attrs, offset: 0 } } });
          if ((last.get(b.var) ?? -1) < i) free.push({ key, storage }); // never used: immediately free
          return;
        }
        out.push(b);
        for (const [t, s] of storageOf) {
          if (last.get(t) === i && !free.some((x) => x.storage === s)) free.push({ key: keyOf.get(t)!, storage: s });
        }
      });
      return { ...f, blocks: [{ dataflow: false, bindings: out }] };
    });
  },
};
