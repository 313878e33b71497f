/**
 * cast (any dtype pair), clip (bounds baked in as attributes or passed as tensor operands) and full_like (a tensor
 * of the input's shape filled with one value, e.g. Dropout's all-true mask).
 */
import { DTYPE_BYTES, type DType } from '../../formats/dtype.js';
import type { Attrs, StructInfo } from '../ir/types.js';
import { cast, exprEqual, max, min } from '../tir/expr.js';
import type { Expr } from '../tir/types.js';
import { at, buffer, compute, lit, primFunc } from './compute.js';
import { checkDtype, elementwise } from './elementwise-build.js';
import type { LegalizeCtx, OpDef } from './registry.js';
import { broadcastIndex, broadcastShapes, shapeError, shapeText, tensor, tensorArg, type TensorInfo } from './shape-util.js';

function dtypeAttr(op: string, attrs: Attrs): DType {
  const d = attrs.dtype;
  if (typeof d !== 'string' || !(d in DTYPE_BYTES)) throw shapeError(`${op}: attribute 'dtype' must name a dtype, got ${JSON.stringify(d)}`);
  return d as DType;
}

const castOp: OpDef = elementwise({
  name: 'cast', arity: 1, dtypes: 'any',
  outDtype: (_d, attrs) => dtypeAttr('cast', attrs),
  expr: ([x], out) => cast(x!, out),
});

const exprsEqual = (a: readonly Expr[], b: readonly Expr[]): boolean => a.length === b.length && a.every((d, i) => exprEqual(d, b[i]!));

const bound = (attrs: Attrs, key: string): number | null => {
  const v = attrs[key];
  return typeof v === 'number' ? v : null;
};

/** Which clip bounds are tensor operands after x, in order ('min' before 'max'). */
function tensorBounds(attrs: Attrs): readonly string[] {
  const v = attrs.inputs;
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((s) => s === 'min' || s === 'max')) throw shapeError(`clip: attribute 'inputs' must list 'min' and/or 'max', got ${JSON.stringify(v)}`);
  return v as readonly string[];
}

const clipOp: OpDef = {
  name: 'clip',
  pattern: () => 'elementwise',
  infer(args: readonly StructInfo[], attrs: Attrs) {
    const names = tensorBounds(attrs);
    if (args.length !== 1 + names.length) throw shapeError(`clip: expects ${1 + names.length} argument(s), got ${args.length}`);
    const x = tensorArg('clip', args, 0);
    checkDtype('clip', 'input', 'numeric', x.dtype);
    for (const k of ['min', 'max']) {
      const v = attrs[k];
      if (v !== undefined && v !== null && typeof v !== 'number') throw shapeError(`clip: attribute '${k}' must be a number or null`);
    }
    names.forEach((n, i) => {
      const b = tensorArg('clip', args, i + 1);
      if (b.dtype !== x.dtype) throw shapeError(`clip: '${n}' is ${b.dtype} but the input is ${x.dtype}`, 'Insert a Cast so the bound has the input\'s type.');
      if (!exprsEqual(broadcastShapes('clip', x.shape, b.shape), x.shape)) {
        throw shapeError(`clip: '${n}' of shape ${shapeText(b.shape)} does not broadcast to the input's shape ${shapeText(x.shape)}`);
      }
    });
    return tensor(x.dtype, x.shape);
  },
  legalize(ctx: LegalizeCtx) {
    const names = tensorBounds(ctx.attrs);
    const x = ctx.args[0] as TensorInfo, o = ctx.out as TensorInfo;
    const A = buffer('A', x.dtype, x.shape);
    const bufs = names.map((n, i) => buffer(n === 'min' ? 'Lo' : 'Hi', x.dtype, (ctx.args[i + 1] as TensorInfo).shape));
    const T = buffer('T_clip', o.dtype, o.shape);
    const body = compute(T, (v) => {
      const get = (n: string): Expr | undefined => {
        const i = names.indexOf(n);
        return i < 0 ? undefined : at(bufs[i]!, broadcastIndex(bufs[i]!.shape, v, o.shape));
      };
      let e = at(A, v);
      const lo = get('min') ?? (bound(ctx.attrs, 'min') !== null ? lit(bound(ctx.attrs, 'min')!, x.dtype) : undefined);
      const hi = get('max') ?? (bound(ctx.attrs, 'max') !== null ? lit(bound(ctx.attrs, 'max')!, x.dtype) : undefined);
      if (lo) e = max(e, lo);
      if (hi) e = min(e, hi);
      return e;
    });
    return primFunc(ctx.name, [A, ...bufs], [T], [body], { pattern: 'elementwise' });
  },
};

/** A tensor shaped like the input, every element `value` of dtype `dtype`. */
const fullLikeOp: OpDef = elementwise({
  name: 'full_like', arity: 1, dtypes: 'any',
  outDtype: (_d, attrs) => dtypeAttr('full_like', attrs),
  check: (_d, attrs) => { if (typeof attrs.value !== 'number') throw shapeError(`full_like: attribute 'value' must be a number`); },
  expr: (_xs, out, attrs) => lit(attrs.value as number, out),
});

export const MISC_OPS: readonly OpDef[] = [castOp, clipOp, fullLikeOp];
