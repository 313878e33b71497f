/** Generic traversals over TIR statements and expressions. */
import type { Expr, Stmt } from './types.js';

/** Calls `fn` on every statement, pre-order. */
export function walkStmt(s: Stmt, fn: (s: Stmt) => void): void {
  fn(s);
  switch (s.k) {
    case 'seq': for (const b of s.body) walkStmt(b, fn); break;
    case 'for': case 'let': case 'alloc': walkStmt(s.body, fn); break;
    case 'block': if (s.init) walkStmt(s.init, fn); walkStmt(s.body, fn); break;
    case 'if': walkStmt(s.then, fn); if (s.else) walkStmt(s.else, fn); break;
    default: break;
  }
}

/** Calls `fn` on every expression (and sub-expression) in a statement tree. */
export function walkExprs(s: Stmt, fn: (e: Expr) => void): void {
  const visit = (e: Expr): void => {
    fn(e);
    switch (e.k) {
      case 'bin': case 'cmp': visit(e.a); visit(e.b); break;
      case 'call': e.args.forEach(visit); break;
      case 'select': visit(e.cond); visit(e.t); visit(e.f); break;
      case 'cast': visit(e.a); break;
      case 'load': e.indices.forEach(visit); break;
      default: break;
    }
  };
  walkStmt(s, (st) => {
    switch (st.k) {
      case 'for': visit(st.extent); break;
      case 'block': st.iters.forEach((i) => visit(i.extent)); st.bindings.forEach(visit); if (st.predicate) visit(st.predicate); break;
      case 'store': st.indices.forEach(visit); visit(st.value); break;
      case 'if': visit(st.cond); break;
      case 'let': visit(st.value); break;
      case 'alloc': st.buffer.shape.forEach(visit); break;
      default: break;
    }
  });
}

/** Rebuilds a statement tree bottom-up: `fn` sees each statement after its children were rebuilt. */
export function mapStmt(s: Stmt, fn: (s: Stmt) => Stmt): Stmt {
  let r: Stmt;
  switch (s.k) {
    case 'seq': r = { ...s, body: s.body.map((b) => mapStmt(b, fn)) }; break;
    case 'for': case 'let': case 'alloc': r = { ...s, body: mapStmt(s.body, fn) }; break;
    case 'block': r = { ...s, ...(s.init ? { init: mapStmt(s.init, fn) } : {}), body: mapStmt(s.body, fn) }; break;
    case 'if': r = { ...s, then: mapStmt(s.then, fn), ...(s.else ? { else: mapStmt(s.else, fn) } : {}) }; break;
    default: r = s;
  }
  return fn(r);
}

/** Rewrites every expression in a statement tree with `fn` (applied to whole expressions at statement level). */
export function mapStmtExprs(s: Stmt, fn: (e: Expr) => Expr): Stmt {
  return mapStmt(s, (st) => {
    switch (st.k) {
      case 'for': return { ...st, extent: fn(st.extent) };
      case 'block': return { ...st, bindings: st.bindings.map(fn), ...(st.predicate ? { predicate: fn(st.predicate) } : {}) };
      case 'store': return { ...st, indices: st.indices.map(fn), value: fn(st.value) };
      case 'if': return { ...st, cond: fn(st.cond) };
      case 'let': return { ...st, value: fn(st.value) };
      default: return st;
    }
  });
}

/** Rewrites expressions bottom-up. */
export function mapExpr(e: Expr, fn: (e: Expr) => Expr): Expr {
  let r: Expr;
  switch (e.k) {
    case 'bin': case 'cmp': r = { ...e, a: mapExpr(e.a, fn), b: mapExpr(e.b, fn) } as Expr; break;
    case 'call': r = { ...e, args: e.args.map((a) => mapExpr(a, fn)) }; break;
    case 'select': r = { ...e, cond: mapExpr(e.cond, fn), t: mapExpr(e.t, fn), f: mapExpr(e.f, fn) }; break;
    case 'cast': r = { ...e, a: mapExpr(e.a, fn) }; break;
    case 'load': r = { ...e, indices: e.indices.map((i) => mapExpr(i, fn)) }; break;
    default: r = e;
  }
  return fn(r);
}

export type BlockStmt = Extract<Stmt, { k: 'block' }>;

export function collectBlocks(s: Stmt): BlockStmt[] {
  const out: BlockStmt[] = [];
  walkStmt(s, (st) => { if (st.k === 'block') out.push(st); });
  return out;
}

/** Buffers stored to / loaded from anywhere in the tree. */
export function accessedBuffers(s: Stmt): { stored: Set<string>; loaded: Set<string> } {
  const stored = new Set<string>(), loaded = new Set<string>();
  walkStmt(s, (st) => { if (st.k === 'store') stored.add(st.buffer); });
  walkExprs(s, (e) => { if (e.k === 'load') loaded.add(e.buffer); });
  return { stored, loaded };
}

/** Replaces one statement (by identity) in a tree, top-down, leaving everything else shared. */
export function replaceStmt(s: Stmt, target: Stmt, replacement: Stmt): Stmt {
  if (s === target) return replacement;
  const r = (x: Stmt) => replaceStmt(x, target, replacement);
  switch (s.k) {
    case 'seq': return { ...s, body: s.body.map(r) };
    case 'for': case 'let': case 'alloc': return { ...s, body: r(s.body) };
    case 'block': return { ...s, ...(s.init ? { init: r(s.init) } : {}), body: r(s.body) };
    case 'if': return { ...s, then: r(s.then), ...(s.else ? { else: r(s.else) } : {}) };
    default: return s;
  }
}
