/**
 * Pooling over N-D NC... layouts: max_pool, max_pool_indices (ONNX MaxPool's Indices output, computed from X and
 * the pooled Y), avg_pool (count_include_pad), and lrn (cross-channel local response normalization).
 * Window geometry (pads, strides, dilations, ceil_mode) comes from window.ts; auto_pad is resolved by the
 * converter.
 */
import { add, bin, cast, cmp, floordiv, int, max, min, mul, select, sub } from '../tir/expr.js';
import type { Attrs, StructInfo } from '../ir/types.js';
import type { Expr } from '../tir/types.js';
import { at, buffer, compute, lit, minValue, primFunc, reduce } from './compute.js';
import type { OpDef } from './registry.js';
import { expectArgs, numAttr, shapeError, shapeText, tensor, tensorArg, type TensorInfo } from './shape-util.js';
import { allOf, guard, inPos, outDim, readWindow, reaches, type Window } from './window.js';

function poolShapes(op: string, x: TensorInfo, attrs: Attrs): { nd: number; win: Window; out: Expr[] } {
  const nd = x.shape.length - 2;
  if (nd < 1) throw shapeError(`${op}: X must have rank >= 3 (N, C, spatial...), got ${shapeText(x.shape)}`);
  const win = readWindow(op, attrs, nd);
  if (!Array.isArray(attrs['kernel_shape'])) throw shapeError(`${op}: needs 'kernel_shape'`);
  return { nd, win, out: [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map((d, i) => outDim(op, win, i, d))] };
}

/** Guarded window reads: per spatial dim the position, whether it is in range, and the clamped index. */
function windowAccess(nd: number, win: Window, x: TensorInfo, out: readonly Expr[], v: readonly Expr[], r: readonly Expr[]) {
  const ok: Expr[] = [], idx: Expr[] = [], pos: Expr[] = [];
  for (let i = 0; i < nd; i++) {
    const d = x.shape[2 + i]!, p = inPos(win, i, v[2 + i]!, r[i]!);
    const reach = reaches(win, i, d, out[2 + i]!);
    const gd = guard(p, d, reach.lo, reach.hi);
    ok.push(gd.ok); idx.push(gd.idx); pos.push(p);
  }
  return { ok: allOf(ok), idx, pos };
}

const guarded = (ok: Expr, v: Expr, dflt: Expr): Expr => (ok.k === 'int' ? v : select(ok, v, dflt));

function poolInfer(op: string, args: readonly StructInfo[], attrs: Attrs): TensorInfo {
  const x = tensorArg(op, args, 0);
  return tensor(x.dtype, poolShapes(op, x, attrs).out);
}

/** Number of taps k in [0, K) with lo <= base + k*d < hi (hi exclusive). */
function tapCount(base: Expr, K: number, d: number, lo: Expr, hi: Expr): Expr {
  const first = max(int(0), floordiv(add(sub(lo, base), int(d - 1)), int(d)));
  const last = min(int(K - 1), floordiv(sub(sub(hi, int(1)), base), int(d)));
  return max(int(0), add(sub(last, first), int(1)));
}

export const POOL_OPS: readonly OpDef[] = [
  {
    name: 'max_pool',
    pattern: () => 'out_elementwise_fusable',
    infer(args, attrs) { expectArgs('max_pool', args, 1); return poolInfer('max_pool', args, attrs); },
    legalize(ctx) {
      const x = ctx.args[0] as TensorInfo, o = ctx.out as TensorInfo, dt = x.dtype;
      const { nd, win } = poolShapes('max_pool', x, ctx.attrs);
      const X = buffer('X', dt, x.shape), Y = buffer('T_max_pool', dt, o.shape);
      const body = reduce(Y, win.kernel.map((k) => int(k)), minValue(dt), (a, e) => max(a, e), (v, r) => {
        const w = windowAccess(nd, win, x, o.shape, v, r);
        return guarded(w.ok, at(X, [v[0]!, v[1]!, ...w.idx]), minValue(dt));
      });
      return primFunc(ctx.name, [X], [Y], [body], { pattern: 'out_elementwise_fusable' });
    },
  },
  {
    // Args: X and the max_pool result Y. The flat index (row-major, or column-major over the spatial dims with
    // storage_order 1) of the first window element equal to Y, as int64.
    name: 'max_pool_indices',
    pattern: () => 'opaque',
    infer(args, attrs) {
      expectArgs('max_pool_indices', args, 2);
      return tensor('int64', poolInfer('max_pool_indices', args, attrs).shape);
    },
    legalize(ctx) {
      const x = ctx.args[0] as TensorInfo, o = ctx.out as TensorInfo, dt = x.dtype;
      const { nd, win } = poolShapes('max_pool_indices', x, ctx.attrs);
      const colMajor = numAttr(ctx.attrs, 'storage_order', 0) === 1;
      const X = buffer('X', dt, x.shape), Yv = buffer('Y', dt, o.shape), I = buffer('T_indices', 'int64', o.shape);
      const none = int(Number.MAX_SAFE_INTEGER);
      const body = reduce(I, win.kernel.map((k) => int(k)), none, (a, e) => min(a, e), (v, r) => {
        const w = windowAccess(nd, win, x, o.shape, v, r);
        const sp = x.shape.slice(2);
        const order = colMajor ? [...Array(nd).keys()].reverse() : [...Array(nd).keys()];
        let flat: Expr = mul(v[0]!, x.shape[1]!);
        flat = add(flat, v[1]!);
        for (const i of order) flat = add(mul(flat, sp[i]!), w.idx[i]!);
        const hit = cmp('eq', at(X, [v[0]!, v[1]!, ...w.idx]), at(Yv, v));
        return select(w.ok.k === 'int' ? hit : bin('and', w.ok, hit), flat, none);
      });
      return primFunc(ctx.name, [X, Yv], [I], [body], { pattern: 'opaque' });
    },
  },
  {
    name: 'avg_pool',
    pattern: () => 'out_elementwise_fusable',
    infer(args, attrs) {
      expectArgs('avg_pool', args, 1);
      const x = poolInfer('avg_pool', args, attrs);
      if (!x.dtype.startsWith('float')) throw shapeError(`avg_pool: needs a floating-point tensor, got ${x.dtype}`);
      return x;
    },
    legalize(ctx) {
      const x = ctx.args[0] as TensorInfo, o = ctx.out as TensorInfo, dt = x.dtype;
      const { nd, win } = poolShapes('avg_pool', x, ctx.attrs);
      const includePad = numAttr(ctx.attrs, 'count_include_pad', 0) === 1;
      const X = buffer('X', dt, x.shape), Y = buffer('T_avg_pool', dt, o.shape), S = buffer('T_avg_pool_sum', dt, o.shape);
      const sum = reduce(S, win.kernel.map((k) => int(k)), lit(0, dt), (a, e) => add(a, e), (v, r) => {
        const w = windowAccess(nd, win, x, o.shape, v, r);
        return guarded(w.ok, at(X, [v[0]!, v[1]!, ...w.idx]), lit(0, dt));
      });
      const div = compute(Y, (v) => {
        let count: Expr = int(1);
        for (let i = 0; i < nd; i++) {
          const d = x.shape[2 + i]!, base = inPos(win, i, v[2 + i]!, int(0));
          const lo = includePad ? int(-win.padBegin[i]!) : int(0), hi = includePad ? add(d, int(win.padEnd[i]!)) : d;
          count = mul(count, tapCount(base, win.kernel[i]!, win.dilations[i]!, lo, hi));
        }
        return bin('div', at(S, v), cast(count, dt));
      });
      return primFunc(ctx.name, [X], [Y], [sum, div], { pattern: 'out_elementwise_fusable', intermediates: [S] });
    },
  },
  {
    // y = x / (bias + alpha/size * sum_{c' in window(c)} x[c']^2)^beta over channels (dim 1).
    name: 'lrn',
    pattern: () => 'out_elementwise_fusable',
    infer(args) {
      expectArgs('lrn', args, 1);
      const x = tensorArg('lrn', args, 0);
      if (x.shape.length < 3 || !x.dtype.startsWith('float')) throw shapeError(`lrn: needs a float tensor of rank >= 3, got ${x.dtype}${shapeText(x.shape)}`);
      return x;
    },
    legalize(ctx) {
      const x = ctx.args[0] as TensorInfo, dt = x.dtype;
      const size = numAttr(ctx.attrs, 'size', 1), alpha = numAttr(ctx.attrs, 'alpha', 1e-4);
      const beta = numAttr(ctx.attrs, 'beta', 0.75), bias = numAttr(ctx.attrs, 'bias', 1);
      const X = buffer('X', dt, x.shape), Y = buffer('T_lrn', dt, x.shape), S = buffer('T_lrn_sqsum', dt, x.shape);
      const before = Math.floor((size - 1) / 2), C = x.shape[1]!;
      const sq = reduce(S, [int(size)], lit(0, dt), (a, e) => add(a, e), (v, r) => {
        const c = sub(add(v[1]!, r[0]!), int(before));
        const gd = guard(c, C, true, true);
        const xv = at(X, [v[0]!, gd.idx, ...v.slice(2)]);
        return select(gd.ok, mul(xv, xv), lit(0, dt));
      });
      const y = compute(Y, (v) => bin('div', at(X, v),
        bin('pow', add(lit(bias, dt), mul(lit(alpha / size, dt), at(S, v))), lit(beta, dt))));
      return primFunc(ctx.name, [X], [Y], [sq, y], { pattern: 'out_elementwise_fusable', intermediates: [S] });
    },
  },
];

