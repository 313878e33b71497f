/**
 * conv and conv_transpose over N-D NC... layouts with groups, strides, dilations and explicit pads (auto_pad is
 * resolved by the converter). An optional bias is a third argument, added in an elementwise epilogue stage so
 * that GPU rules see a plain reduction followed by an epilogue.
 *
 * conv:           Y[n, m, o] = sum_{c < C/g, k} X[n, g(m)*C/g + c, o*s - pb + k*d] * W[m, c, k]
 * conv_transpose: Y[n, m, o] = sum_{c < C/g, k} X[n, g(m)*C/g + c, (o + pb - k*d) / s] * W[g(m)*C/g + c, m % (M/g), k]
 *                 (terms whose position is not a multiple of s or outside the input are zero)
 */
import { add, and, cmp, floordiv, floormod, int, mul, select, sub } from '../tir/expr.js';
import type { Expr } from '../tir/types.js';
import { at, buffer, compute, lit, primFunc, reduce } from './compute.js';
import type { LegalizeCtx, OpDef } from './registry.js';
import { numAttr, shapeError, shapeText, tensor, tensorArg, type TensorInfo } from './shape-util.js';
import { allOf, guard, inPos, intsAttr, outDim, readWindow, reaches, span, type Window } from './window.js';
import type { Attrs, StructInfo } from '../ir/types.js';

function staticDim(op: string, what: string, d: Expr): number {
  if (d.k !== 'int') throw shapeError(`${op}: ${what} must be a static size`);
  return d.value;
}

interface ConvShapes { x: TensorInfo; w: TensorInfo; b?: TensorInfo; nd: number; groups: number; win: Window }

function convShapes(op: string, args: readonly StructInfo[], attrs: Attrs, transpose: boolean): ConvShapes {
  if (args.length !== 2 && args.length !== 3) throw shapeError(`${op}: expects 2 or 3 arguments (X, W[, B]), got ${args.length}`);
  const x = tensorArg(op, args, 0), w = tensorArg(op, args, 1), b = args.length === 3 ? tensorArg(op, args, 2) : undefined;
  const nd = x.shape.length - 2;
  if (nd < 1) throw shapeError(`${op}: X must have rank >= 3 (N, C, spatial...), got ${shapeText(x.shape)}`);
  if (w.shape.length !== nd + 2) throw shapeError(`${op}: W ${shapeText(w.shape)} must have rank ${nd + 2} like X ${shapeText(x.shape)}`);
  if (w.dtype !== x.dtype || (b && b.dtype !== x.dtype)) throw shapeError(`${op}: operand dtypes differ`);
  const groups = numAttr(attrs, 'group', 1);
  const kernel = w.shape.slice(2).map((d) => staticDim(op, 'the kernel shape', d));
  const win = readWindow(op, { ...attrs, kernel_shape: kernel }, nd);
  const c = x.shape[1]!, wc = staticDim(op, 'W dim 0', w.shape[0]!), wm = staticDim(op, 'W dim 1', w.shape[1]!);
  const [inC, outC] = transpose ? [wc, wm * groups] : [wm * groups, wc];
  if (c.k === 'int' && c.value !== inC) throw shapeError(`${op}: X has ${c.value} channels but W ${shapeText(w.shape)} with group ${groups} expects ${inC}`);
  if (groups < 1 || wc % groups !== 0) throw shapeError(`${op}: W dim 0 (${wc}) is not divisible by group ${groups}`);
  if (b && (b.shape.length !== 1 || (b.shape[0]!.k === 'int' && b.shape[0]!.value !== outC))) throw shapeError(`${op}: bias must have shape [${outC}], got ${shapeText(b.shape)}`);
  return { x, w, ...(b ? { b } : {}), nd, groups, win };
}

function outChannels(s: ConvShapes, transpose: boolean): number {
  return transpose ? (s.w.shape[1] as { value: number }).value * s.groups : (s.w.shape[0] as { value: number }).value;
}

function outShape(op: string, s: ConvShapes, attrs: Attrs, transpose: boolean): Expr[] {
  const spatial = s.x.shape.slice(2).map((d, i) => {
    if (!transpose) return outDim(op, s.win, i, d);
    const op_ = intsAttr(op, attrs, 'output_padding', s.nd, 0)[i]!;
    return add(mul(sub(d, int(1)), int(s.win.strides[i]!)), int(span(s.win, i) + op_ - s.win.padBegin[i]! - s.win.padEnd[i]!));
  });
  return [s.x.shape[0]!, int(outChannels(s, transpose)), ...spatial];
}

function legalizeConv(ctx: LegalizeCtx, transpose: boolean) {
  const op = transpose ? 'conv_transpose' : 'conv';
  const s = convShapes(op, ctx.args, ctx.attrs, transpose);
  const o = ctx.out as TensorInfo, dt = o.dtype;
  const X = buffer('X', dt, s.x.shape), W = buffer('W', dt, s.w.shape);
  const B = s.b ? buffer('B', dt, s.b.shape) : undefined;
  const Y = buffer(op === 'conv' ? 'T_conv' : 'T_conv_transpose', dt, o.shape);
  const acc = B ? buffer(`${Y.name}_acc`, dt, o.shape) : Y;
  const M = outChannels(s, transpose), g = s.groups, Mg = M / g;
  const Cg = transpose ? (s.w.shape[0] as { value: number }).value / g : (s.w.shape[1] as { value: number }).value;
  // Reduce axes of extent 1 (the channel axis of a depthwise conv, the taps of a 1x1 conv) become constants 0.
  const kernel = s.win.kernel;
  const axes = [Cg, ...kernel].map((e, i) => (e > 1 || (i === 0 && kernel.every((k) => k === 1)) ? e : 0));
  const red = reduce(acc, axes.filter((e) => e > 0).map((e) => int(e)), lit(0, dt), (a, x) => add(a, x), (v, r0) => {
    let next = 0;
    const r = axes.map((e) => (e > 0 ? r0[next++]! : int(0)));
    const m = v[1]!, rc = r[0]!, ks = r.slice(1);
    const c = g === 1 ? rc : add(mul(floordiv(m, int(Mg)), int(Cg)), rc);
    const conds: Expr[] = [], idx: Expr[] = [];
    for (let i = 0; i < s.nd; i++) {
      const d = s.x.shape[2 + i]!, oi = v[2 + i]!;
      if (!transpose) {
        const reach = reaches(s.win, i, d, o.shape[2 + i]!);
        const gd = guard(inPos(s.win, i, oi, ks[i]!), d, reach.lo, reach.hi);
        conds.push(gd.ok); idx.push(gd.idx);
      } else {
        const num = sub(add(oi, int(s.win.padBegin[i]!)), mul(ks[i]!, int(s.win.dilations[i]!)));
        const st = int(s.win.strides[i]!);
        const gd = guard(floordiv(num, st), d, true, true);
        conds.push(s.win.strides[i] === 1 ? gd.ok : and(cmp('eq', floormod(num, st), int(0)), gd.ok));
        idx.push(gd.idx);
      }
    }
    const xv = at(X, [v[0]!, c, ...idx]);
    const wv = transpose ? at(W, [c, g === 1 ? m : floormod(m, int(Mg)), ...ks]) : at(W, [m, rc, ...ks]);
    const cond = allOf(conds);
    const xg = cond.k === 'int' ? xv : select(cond, xv, lit(0, dt));
    return mul(xg, wv);
  }, { block: acc.name });
  if (!B) return primFunc(ctx.name, [X, W], [Y], [red], { pattern: 'out_elementwise_fusable' });
  const bias = compute(Y, (v) => add(at(acc, v), at(B, [v[1]!])));
  return primFunc(ctx.name, [X, W, B], [Y], [red, bias], { pattern: 'out_elementwise_fusable', intermediates: [acc] });
}

export const CONV_OPS: readonly OpDef[] = [
  {
    name: 'conv',
    pattern: () => 'out_elementwise_fusable',
    infer(args, attrs) {
      const s = convShapes('conv', args, attrs, false);
      return tensor(s.x.dtype, outShape('conv', s, attrs, false));
    },
    legalize: (ctx) => legalizeConv(ctx, false),
  },
  {
    name: 'conv_transpose',
    pattern: () => 'out_elementwise_fusable',
    infer(args, attrs) {
      const s = convShapes('conv_transpose', args, attrs, true);
      return tensor(s.x.dtype, outShape('conv_transpose', s, attrs, true));
    },
    legalize: (ctx) => legalizeConv(ctx, true),
  },
];
