/** Renaming of buffers and locally bound variables in TIR (used when merging functions). */
import { substitute } from './expr.js';
import type { Buffer, Expr, Stmt } from './types.js';
import { mapExpr, walkStmt } from './visit.js';

/** Names bound inside a statement tree: loop vars, iter vars, let vars, allocated buffers. */
export function boundNames(s: Stmt): { vars: Set<string>; buffers: Set<string> } {
  const vars = new Set<string>(), buffers = new Set<string>();
  walkStmt(s, (st) => {
    if (st.k === 'for' || st.k === 'let') vars.add(st.var);
    if (st.k === 'block') for (const i of st.iters) vars.add(i.name);
    if (st.k === 'alloc') buffers.add(st.buffer.name);
  });
  return { vars, buffers };
}

export function renameExpr(e: Expr, vars: ReadonlyMap<string, string>, bufs: ReadonlyMap<string, string>): Expr {
  return mapExpr(e, (x) => {
    if (x.k === 'var' && vars.has(x.name)) return { ...x, name: vars.get(x.name)! };
    if (x.k === 'load' && bufs.has(x.buffer)) return { ...x, buffer: bufs.get(x.buffer)! };
    return x;
  });
}

export function renameStmt(s: Stmt, vars: ReadonlyMap<string, string>, bufs: ReadonlyMap<string, string>): Stmt {
  const re = (e: Expr) => renameExpr(e, vars, bufs);
  const rb = (b: Buffer): Buffer => ({ ...b, name: bufs.get(b.name) ?? b.name, shape: b.shape.map(re) });
  const v = (n: string) => vars.get(n) ?? n;
  switch (s.k) {
    case 'seq': return { ...s, body: s.body.map((x) => renameStmt(x, vars, bufs)) };
    case 'for': return { ...s, var: v(s.var), extent: re(s.extent), body: renameStmt(s.body, vars, bufs) };
    case 'block': return {
      ...s,
      iters: s.iters.map((i) => ({ ...i, name: v(i.name), extent: re(i.extent) })),
      bindings: s.bindings.map(re),
      ...(s.predicate ? { predicate: re(s.predicate) } : {}),
      ...(s.init ? { init: renameStmt(s.init, vars, bufs) } : {}),
      body: renameStmt(s.body, vars, bufs),
    };
    case 'store': return { ...s, buffer: bufs.get(s.buffer) ?? s.buffer, indices: s.indices.map(re), value: re(s.value) };
    case 'if': return { ...s, cond: re(s.cond), then: renameStmt(s.then, vars, bufs), ...(s.else ? { else: renameStmt(s.else, vars, bufs) } : {}) };
    case 'let': return { ...s, var: v(s.var), value: re(s.value), body: renameStmt(s.body, vars, bufs) };
    case 'alloc': return { ...s, buffer: rb(s.buffer), body: renameStmt(s.body, vars, bufs) };
    case 'barrier': return s;
  }
}

/** Substitutes int expressions for variables throughout a statement (e.g. a callee's shape vars). */
export function substituteStmt(s: Stmt, map: ReadonlyMap<string, Expr>): Stmt {
  const re = (e: Expr) => substitute(e, map);
  switch (s.k) {
    case 'seq': return { ...s, body: s.body.map((x) => substituteStmt(x, map)) };
    case 'for': return { ...s, extent: re(s.extent), body: substituteStmt(s.body, map) };
    case 'block': return {
      ...s, iters: s.iters.map((i) => ({ ...i, extent: re(i.extent) })), bindings: s.bindings.map(re),
      ...(s.predicate ? { predicate: re(s.predicate) } : {}), ...(s.init ? { init: substituteStmt(s.init, map) } : {}),
      body: substituteStmt(s.body, map),
    };
    case 'store': return { ...s, indices: s.indices.map(re), value: re(s.value) };
    case 'if': return { ...s, cond: re(s.cond), then: substituteStmt(s.then, map), ...(s.else ? { else: substituteStmt(s.else, map) } : {}) };
    case 'let': return { ...s, value: re(s.value), body: substituteStmt(s.body, map) };
    case 'alloc': return { ...s, buffer: { ...s.buffer, shape: s.buffer.shape.map(re) }, body: substituteStmt(s.body, map) };
    case 'barrier': return s;
  }
}
