/**
 * resize(x, idx_0, [w_0,] idx_1, [w_1,] ..., [inside_0, inside_1, ...]): separable resampling along `axes`
 * with build-time tables (see frontend/onnx/converters/resize-taps.ts). For resized axis j, idx_j is an int32
 * [out_j, taps_j] table of input indices and w_j the matching weights (x's float dtype); without weights
 * (`weighted: false`, nearest) each output reads the single index. With `extrapolate`, inside_j ([out_j], x's
 * dtype or float32 for nearest: 1 or 0) marks samples inside the input; others take `value`.
 * out[v] = sum over taps of prod_j w_j[v_j, t_j] * x[..., idx_j[v_j, t_j], ...]
 */
import { add, cast, cmp, int, mul, select, sub } from '../tir/expr.js';
import type { Expr, Stmt } from '../tir/types.js';
import { at, buffer, compute, lit, primFunc, reduce } from './compute.js';
import type { OpDef } from './registry.js';
import { boolAttr, numAttr, shapeError, tensor, tensorArg, type TensorInfo } from './shape-util.js';

interface Layout { axes: number[]; weighted: boolean; extrapolate: boolean }

function layout(attrs: Parameters<OpDef['infer']>[1]): Layout {
  const axes = attrs.axes;
  if (!Array.isArray(axes) || axes.some((a) => typeof a !== 'number')) throw shapeError('resize: attribute axes must list axes');
  return { axes: axes as number[], weighted: boolAttr(attrs, 'weighted', true), extrapolate: boolAttr(attrs, 'extrapolate', false) };
}

function expected(l: Layout): number {
  return 1 + l.axes.length * (l.weighted ? 2 : 1) + (l.extrapolate ? l.axes.length : 0);
}

export const RESIZE_OPS: readonly OpDef[] = [{
  name: 'resize',
  pattern: () => 'injective',
  infer(args, attrs) {
    const l = layout(attrs);
    if (args.length !== expected(l)) throw shapeError(`resize: expects ${expected(l)} arguments, got ${args.length}`);
    const x = tensorArg('resize', args, 0);
    const shape = [...x.shape];
    l.axes.forEach((a, j) => {
      if (a < 0 || a >= x.shape.length) throw shapeError(`resize: axis ${a} is out of range for rank ${x.shape.length}`);
      const idx = tensorArg('resize', args, 1 + j * (l.weighted ? 2 : 1));
      if ((idx.dtype !== 'int32' && idx.dtype !== 'int64') || idx.shape.length !== 2) throw shapeError('resize: index tables must be int32/int64 [out, taps]');
      shape[a] = idx.shape[0]!;
    });
    return tensor(x.dtype, shape);
  },
  legalize(ctx) {
    const l = layout(ctx.attrs);
    const x = ctx.args[0] as TensorInfo, o = ctx.out as TensorInfo;
    const X = buffer('X', x.dtype, x.shape), T = buffer('T_resize', o.dtype, o.shape);
    const per = l.weighted ? 2 : 1;
    const idx = l.axes.map((_, j) => { const t = ctx.args[1 + j * per] as TensorInfo; return buffer(`I${j}`, t.dtype, t.shape); });
    const ws = l.weighted ? l.axes.map((_, j) => { const t = ctx.args[2 + j * per] as TensorInfo; return buffer(`W${j}`, t.dtype, t.shape); }) : [];
    const base = 1 + l.axes.length * per;
    const ins = l.extrapolate ? l.axes.map((_, j) => { const t = ctx.args[base + j] as TensorInfo; return buffer(`In${j}`, t.dtype, t.shape); }) : [];
    const value = numAttr(ctx.attrs, 'value', 0);
    const src = (v: readonly Expr[], taps: readonly Expr[]): Expr[] => {
      const s = [...v];
      l.axes.forEach((a, j) => { s[a] = cast(at(idx[j]!, [v[a]!, taps[j]!]), 'int64'); });
      return s;
    };
    const insideProd = (v: readonly Expr[]): Expr => ins.reduce<Expr>((p, b, j) => mul(p, at(b, [v[l.axes[j]!]!])), lit(1, ins[0]?.dtype ?? 'float32'));
    let body;
    if (!l.weighted) {
      body = compute(T, (v) => {
        const load = at(X, src(v, l.axes.map(() => int(0))));
        return l.extrapolate ? select(cmp('ne', insideProd(v), lit(0, ins[0]!.dtype)), load, lit(value, o.dtype)) : load;
      });
    } else {
      const taps = idx.map((b) => b.shape[1]!);
      body = reduce(T, taps, lit(0, o.dtype), (acc, e) => add(acc, e), (v, r) => {
        const w = ws.reduce<Expr>((p, b, j) => mul(p, at(b, [v[l.axes[j]!]!, r[j]!])), lit(1, o.dtype));
        return mul(w, at(X, src(v, r)));
      });
      if (l.extrapolate) body = withInit(body, (v) => mul(lit(value, o.dtype), sub(lit(1, o.dtype), insideProd(v))));
    }
    return primFunc(ctx.name, [X, ...idx.flatMap((b, j) => (l.weighted ? [b, ws[j]!] : [b])), ...ins], [T], [body], { pattern: 'injective' });
  },
}];

/** Replaces the init value of the single reduction block in a loop nest (its spatial vars are the block's). */
function withInit(s: Stmt, fn: (v: readonly Expr[]) => Expr): Stmt {
  if (s.k === 'for') return { ...s, body: withInit(s.body, fn) };
  if (s.k === 'block' && s.init && s.init.k === 'store') return { ...s, init: { ...s.init, value: fn(s.init.indices) } };
  return s;
}
