/**
 * Kernels for the ops that are dispatched rather than legalized (cumsum, topk). Serial loop nests with an
 * outer loop over independent rows (schedule rules bind that loop on GPUs) and local scalar accumulators.
 */
import { add, and, bin, cast, cmp, floordiv, floormod, int, ivar, mul, select, sub } from '../tir/expr.js';
import type { Buffer, DType, Expr, PrimFunc, Stmt } from '../tir/types.js';
import { at, buffer, lit, shapeVars } from './compute.js';
import type { TensorInfo } from './shape-util.js';
import { unravel } from './transform.js';

const local = (name: string, dtype: DType): Buffer => buffer(name, dtype, [], 'local');
const store = (b: Buffer, value: Expr, idx: readonly Expr[] = []): Stmt => ({ k: 'store', buffer: b.name, indices: idx, value });
const loop = (v: string, extent: Expr, body: Stmt): Stmt => ({ k: 'for', var: v, extent, kind: 'serial', body });
const letS = (v: string, value: Expr, body: Stmt): Stmt => ({ k: 'let', var: v, value, body });
const seq = (...body: Stmt[]): Stmt => ({ k: 'seq', body });
const alloc = (b: Buffer, body: Stmt): Stmt => ({ k: 'alloc', buffer: b, body });
const or = (a: Expr, b: Expr): Expr => bin('or', a, b);

/** Kernel-local variable names, renamed away from the symbolic shape vars they must not shadow. */
function localNames<K extends string>(taken: readonly string[], names: readonly K[]): Record<K, string> {
  const used = new Set(taken);
  const out = {} as Record<K, string>;
  for (const nm of names) {
    let v: string = nm;
    while (used.has(v)) v = `${v}_`;
    used.add(v);
    out[nm] = v;
  }
  return out;
}

/** Running sum along an axis chosen at run time (negative wraps); `exclusive` and `reverse` as in ONNX CumSum. */
export function cumsumKernel(name: string, x: TensorInfo, axisT: TensorInfo, opts: { exclusive: boolean; reverse: boolean }): PrimFunc {
  const s = x.shape, R = s.length;
  const X = buffer('X', x.dtype, s), AX = buffer('Axis', axisT.dtype, axisT.shape), Y = buffer('Y', x.dtype, s);
  const n = localNames(shapeVars([X, AX, Y]), ['axis', 'len', 'inner', 'outer', 'r', 'j', 'flat']);
  const raw = cast(at(AX, axisT.shape.map(() => int(0))), 'int64');
  const ax = ivar(n.axis), len = ivar(n.len), inner = ivar(n.inner), outer = ivar(n.outer);
  let lenE: Expr = s[R - 1]!;
  for (let d = R - 2; d >= 0; d--) lenE = select(cmp('eq', ax, int(d)), s[d]!, lenE);
  const outerE = s.reduce<Expr>((acc, d, i) => mul(acc, select(cmp('gt', ax, int(i)), d, int(1))), int(1));
  const innerE = s.reduce<Expr>((acc, d, i) => mul(acc, select(cmp('lt', ax, int(i)), d, int(1))), int(1));
  const acc = local('acc', x.dtype);
  const r = ivar(n.r), j = ivar(n.j);
  const jj = opts.reverse ? sub(sub(len, int(1)), j) : j;
  const flat = add(mul(add(mul(floordiv(r, inner), len), jj), inner), floormod(r, inner));
  const idx = unravel(ivar(n.flat), s);
  const step = opts.exclusive
    ? seq(store(Y, at(acc, []), idx), store(acc, add(at(acc, []), at(X, idx))))
    : seq(store(acc, add(at(acc, []), at(X, idx))), store(Y, at(acc, []), idx));
  const row = alloc(acc, seq(store(acc, lit(0, x.dtype)), loop(n.j, len, letS(n.flat, flat, step))));
  const body = letS(n.axis, select(cmp('lt', raw, int(0)), add(raw, int(R)), raw),
    { k: 'if', cond: and(cmp('ge', ax, int(0)), cmp('lt', ax, int(R))), then:
      letS(n.len, lenE, letS(n.outer, outerE, letS(n.inner, innerE, loop(n.r, mul(outer, inner), row)))) });
  const params = [X, AX, Y];
  return { k: 'prim_func', name, params, vars: shapeVars(params), body, attrs: { pattern: 'opaque', kernel: 'cumsum' } };
}

/**
 * Top-k per row by k selection passes: pick j is the best element strictly after pick j-1 in the order
 * (value, then lower index first). Writes values and int64 indices (sorted). NaN is not handled.
 */
export function topkKernel(name: string, x: TensorInfo, values: TensorInfo, opts: { axis: number; largest: boolean }): PrimFunc {
  const s = x.shape, ax = opts.axis;
  const X = buffer('X', x.dtype, s), V = buffer('Values', x.dtype, values.shape), I = buffer('Indices', 'int64', values.shape);
  const len = s[ax]!, k = values.shape[ax]!;
  const pre = s.slice(0, ax), post = s.slice(ax + 1);
  const outerE = pre.reduce<Expr>((a, d) => mul(a, d), int(1)), innerE = post.reduce<Expr>((a, d) => mul(a, d), int(1));
  const n = localNames(shapeVars([X, V, I]), ['r', 'o', 'i', 'j', 't', 'x']);
  const r = ivar(n.r), o = ivar(n.o), i = ivar(n.i), j = ivar(n.j), t = ivar(n.t);
  const idx = (m: Expr): Expr[] => [...(pre.length ? unravel(o, pre) : []), m, ...(post.length ? unravel(i, post) : [])];
  const pv = local('prev_v', x.dtype), pi = local('prev_i', 'int64'), bv = local('best_v', x.dtype), bi = local('best_i', 'int64');
  const PV = at(pv, []), PI = at(pi, []), BV = at(bv, []), BI = at(bi, []);
  const xvar: Expr = { k: 'var', name: n.x, dtype: x.dtype };
  const beyond = opts.largest ? cmp('lt', xvar, PV) : cmp('gt', xvar, PV);
  const after = or(cmp('eq', j, int(0)), or(beyond, and(cmp('eq', xvar, PV), cmp('gt', t, PI))));
  const better = or(cmp('lt', BI, int(0)), opts.largest ? cmp('gt', xvar, BV) : cmp('lt', xvar, BV));
  const scan = loop(n.t, len, letS(n.x, at(X, idx(t)), {
    k: 'if', cond: and(after, better), then: seq(store(bv, xvar), store(bi, t)),
  }));
  const pick = seq(
    store(bi, int(-1)), store(bv, lit(0, x.dtype)), scan,
    store(V, BV, idx(j)), store(I, BI, idx(j)), store(pv, BV), store(pi, BI),
  );
  const row = letS(n.o, floordiv(r, innerE), letS(n.i, floormod(r, innerE),
    alloc(pv, alloc(pi, alloc(bv, alloc(bi, seq(store(pv, lit(0, x.dtype)), store(pi, int(-1)), loop(n.j, k, pick))))))));
  const body = loop(n.r, mul(outerE, innerE), row);
  const params = [X, V, I];
  return { k: 'prim_func', name, params, vars: shapeVars(params), body, attrs: { pattern: 'opaque', kernel: 'topk' } };
}
