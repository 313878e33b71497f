/** A module's tensor functions with structural sharing: adding a function equal to one present returns its name. */
import { freshName } from '../ir/util.js';
import type { PrimFunc } from '../tir/types.js';
import { safeKernelName } from './kernel-names.js';

export class TirTable {
  private readonly byName = new Map<string, PrimFunc>();
  private readonly byKey = new Map<string, string>();

  constructor(initial: Readonly<Record<string, PrimFunc>> = {}) {
    for (const f of Object.values(initial)) this.insert(f.name, f);
  }

  static key(f: PrimFunc): string {
    const { name: _n, attrs, ...rest } = f;
    const { origin: _o, ...attrRest } = attrs;
    return JSON.stringify([rest, attrRest]);
  }

  /** Adds `f` (renamed to a fresh name based on f.name) unless an equal function exists; returns the name to call. */
  add(f: PrimFunc): string {
    const key = TirTable.key(f);
    const existing = this.byKey.get(key);
    if (existing) {
      const prev = this.byName.get(existing)!;
      const origin = [...new Set([...(prev.attrs.origin ?? []), ...(f.attrs.origin ?? [])])];
      this.byName.set(existing, { ...prev, attrs: { ...prev.attrs, origin } });
      return existing;
    }
    const name = freshName(safeKernelName(f.name), this.byName);
    this.insert(name, { ...f, name });
    return name;
  }

  get(name: string): PrimFunc | undefined {
    return this.byName.get(name);
  }

  set(f: PrimFunc): void {
    this.byName.set(f.name, f);
  }

  delete(name: string): void {
    this.byName.delete(name);
  }

  toRecord(): Record<string, PrimFunc> {
    return Object.fromEntries(this.byName);
  }

  private insert(name: string, f: PrimFunc): void {
    this.byName.set(name, f);
    this.byKey.set(TirTable.key(f), name);
  }
}
