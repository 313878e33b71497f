/**
 * Local accumulators for unscheduled reductions (the cpu backend's kernels are not scheduled). A legalized
 * reduction is a loop nest `for spatial.. { for reduce.. { block { init: B[I] = v0; B[I] = f(B[I], ..) } } }`;
 * printed as is, the C compiler must load and store B[I] on every reduce step (B may alias the inputs). This
 * rewrite keeps the partial result in a local scalar instead:
 *
 *   for spatial.. { let v_s = ..; acc = v0; for reduce.. { let v_r = ..; acc = f(acc, ..) } B[I] = acc }
 *
 * `acc` is a one-element local buffer of B's dtype, so every intermediate value is rounded exactly as the store
 * to B rounded it (float16 included): results are bit-identical. Only the exact shape above is rewritten (one
 * block under a chain of serial loops, the reduce loops innermost, B read only at I); anything else is left alone.
 */
import { exprEqual, freeVars } from '../../compiler/tir/expr.js';
import type { Buffer, Expr, Stmt } from '../../compiler/tir/types.js';
import { mapExpr, walkExprs } from '../../compiler/tir/visit.js';

type For = Extract<Stmt, { k: 'for' }>;
type Block = Extract<Stmt, { k: 'block' }>;
type Store = Extract<Stmt, { k: 'store' }>;

/** Rewrites every matching reduction loop nest in `s` (see the module comment). */
export function accumulateLocally(s: Stmt, bufferOf: (name: string) => Buffer | undefined): Stmt {
  let counter = 0;
  const visit = (st: Stmt): Stmt => {
    switch (st.k) {
      case 'for': {
        const r = tryRewrite(st, bufferOf, () => `rlx_acc${counter++}`);
        return r ?? { ...st, body: visit(st.body) };
      }
      case 'seq': return { ...st, body: st.body.map(visit) };
      case 'let': case 'alloc': return { ...st, body: visit(st.body) };
      case 'if': return { ...st, then: visit(st.then), ...(st.else ? { else: visit(st.else) } : {}) };
      default: return st;
    }
  };
  return visit(s);
}

function tryRewrite(top: For, bufferOf: (name: string) => Buffer | undefined, fresh: () => string): Stmt | null {
  const loops: For[] = [];
  let s: Stmt = top;
  while (s.k === 'for') {
    if (s.kind === 'thread') return null;
    loops.push(s);
    s = s.body;
  }
  if (s.k !== 'block' || !s.init || s.predicate) return null;
  const blk: Block = s;
  if (blk.init!.k !== 'store' || blk.body.k !== 'store') return null;
  const init: Store = blk.init as Store, body: Store = blk.body;
  if (init.buffer !== body.buffer || init.indices.length !== body.indices.length || !init.indices.every((e, i) => exprEqual(e, body.indices[i]!))) return null;
  const buf = bufferOf(body.buffer);
  if (!buf) return null;

  const reduceIters = new Set(blk.iters.filter((it) => it.type === 'reduce').map((it) => it.name));
  if (reduceIters.size === 0) return null;
  const spatialIters = new Set(blk.iters.filter((it) => it.type === 'spatial').map((it) => it.name));
  // Split the loop chain: the inner loops drive exactly the reduce iterations.
  const loopVars = loops.map((l) => l.var);
  const reduceLoopVars = new Set<string>(), spatialLoopVars = new Set<string>();
  blk.iters.forEach((it, i) => {
    const vs = freeVars(blk.bindings[i]!).filter((v) => loopVars.includes(v));
    for (const v of vs) (it.type === 'reduce' ? reduceLoopVars : spatialLoopVars).add(v);
  });
  if ([...reduceLoopVars].some((v) => spatialLoopVars.has(v))) return null;
  const split = loops.findIndex((l) => reduceLoopVars.has(l.var));
  if (split < 0 || loops.slice(split).some((l) => !reduceLoopVars.has(l.var))) return null;
  const inner = loops.slice(split), outer = loops.slice(0, split);
  const innerVars = new Set(inner.map((l) => l.var));
  if (inner.some((l) => freeVars(l.extent).some((v) => innerVars.has(v) || spatialIters.has(v) || reduceIters.has(v)))) return null;
  // I and the init value may use spatial iterations only; B is read only at I, and only in the body's value.
  if (body.indices.some((e) => freeVars(e).some((v) => reduceIters.has(v) || innerVars.has(v)))) return null;
  if (readsBuffer(init.value, buf.name) || init.indices.some((e) => readsBuffer(e, buf.name))) return null;
  if (freeVars(init.value).some((v) => reduceIters.has(v) || innerVars.has(v))) return null;
  let otherReads = false;
  walkExprs({ k: 'store', buffer: '_', indices: body.indices, value: body.value }, (e) => {
    if (e.k === 'load' && e.buffer === buf.name && !e.indices.every((x, i) => exprEqual(x, body.indices[i]!))) otherReads = true;
  });
  if (otherReads || body.indices.some((e) => readsBuffer(e, buf.name))) return null;

  const accName = fresh();
  const acc: Buffer = { name: accName, dtype: buf.dtype, shape: [], scope: 'local' };
  const accLoad: Expr = { k: 'load', buffer: accName, indices: [], dtype: buf.dtype };
  const value = mapExpr(body.value, (e) => (e.k === 'load' && e.buffer === buf.name ? accLoad : e));
  const lets = (names: readonly string[], inside: Stmt): Stmt => {
    let r = inside;
    for (let i = blk.iters.length - 1; i >= 0; i--) {
      const it = blk.iters[i]!;
      if (names.includes(it.name)) r = { k: 'let', var: it.name, value: blk.bindings[i]!, body: r };
    }
    return r;
  };
  let reduceNest: Stmt = lets([...reduceIters], { k: 'store', buffer: accName, indices: [], value });
  for (let i = inner.length - 1; i >= 0; i--) reduceNest = { ...inner[i]!, body: reduceNest };
  const perOutput: Stmt = lets([...spatialIters], {
    k: 'alloc', buffer: acc,
    body: { k: 'seq', body: [{ k: 'store', buffer: accName, indices: [], value: init.value }, reduceNest, { k: 'store', buffer: buf.name, indices: body.indices, value: accLoad }] },
  });
  let result: Stmt = perOutput;
  for (let i = outer.length - 1; i >= 0; i--) result = { ...outer[i]!, body: result };
  return result;
}

function readsBuffer(e: Expr, name: string): boolean {
  let found = false;
  mapExpr(e, (x) => { if (x.k === 'load' && x.buffer === name) found = true; return x; });
  return found;
}
