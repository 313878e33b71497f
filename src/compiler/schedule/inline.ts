/**
 * compute-inline: an intermediate buffer written by a spatial block `T[i0..in] = f(i0..in)` is removed and every
 * load `T[e0..en]` is replaced by `f(e0..en)`. Producers of injective chains fold into their consumers this way.
 */
import { substitute } from '../tir/expr.js';
import type { Expr, PrimFunc, Stmt } from '../tir/types.js';
import { collectBlocks, mapExpr, mapStmt, mapStmtExprs, replaceStmt, walkExprs, walkStmt, type BlockStmt } from '../tir/visit.js';

const EMPTY: Stmt = { k: 'seq', body: [] };

/** The block's single store when it is `T[iter vars in order] = value` with only spatial iters. */
function inlinableStore(b: BlockStmt): { buffer: string; value: Expr } | null {
  if (b.init || b.predicate || b.iters.some((i) => i.type !== 'spatial')) return null;
  if (b.body.k !== 'store') return null;
  const st = b.body;
  if (st.indices.length !== b.iters.length) return null;
  if (!st.indices.every((x, i) => x.k === 'var' && x.name === b.iters[i]!.name)) return null;
  let selfRead = false;
  walkExprs(st, (e) => { if (e.k === 'load' && e.buffer === st.buffer) selfRead = true; });
  return selfRead ? null : { buffer: st.buffer, value: st.value };
}

function removeEmpty(s: Stmt): Stmt {
  return mapStmt(s, (st) => {
    const empty = (x: Stmt) => x.k === 'seq' && x.body.length === 0;
    if (st.k === 'seq') {
      const body = st.body.filter((x) => !empty(x));
      return body.length === 1 ? body[0]! : { ...st, body };
    }
    if ((st.k === 'for' || st.k === 'let') && empty(st.body)) return EMPTY;
    return st;
  });
}

/** Inlines every intermediate (alloc'd) buffer that can be inlined; returns the new function. */
export function inlineIntermediates(f: PrimFunc): PrimFunc {
  let body = f.body;
  for (;;) {
    const allocated = new Set<string>();
    walkStmt(body, (s) => { if (s.k === 'alloc' && s.buffer.scope === 'global') allocated.add(s.buffer.name); });
    const writers = new Map<string, number>();
    walkStmt(body, (s) => { if (s.k === 'store') writers.set(s.buffer, (writers.get(s.buffer) ?? 0) + 1); });
    const candidate = collectBlocks(body).map((b) => ({ b, st: inlinableStore(b) }))
      .find((x) => x.st && allocated.has(x.st.buffer) && writers.get(x.st.buffer) === 1);
    if (!candidate) break;
    const { b, st } = candidate as { b: BlockStmt; st: { buffer: string; value: Expr } };
    const iterNames = b.iters.map((i) => i.name);
    body = replaceStmt(body, b, EMPTY);
    body = mapStmtExprs(body, (e) => mapExpr(e, (x) => {
      if (x.k !== 'load' || x.buffer !== st.buffer) return x;
      return substitute(st.value, new Map(iterNames.map((n, i) => [n, x.indices[i]!])));
    }));
    body = mapStmt(body, (s) => (s.k === 'alloc' && s.buffer.name === st.buffer ? s.body : s));
    body = removeEmpty(body);
  }
  return body === f.body ? f : { ...f, body };
}
