/** Elementwise and broadcasting ops: add, mul (numpy broadcasting), relu, clip, identity. */
import type { Attrs, StructInfo } from '../ir/types.js';
import { bin, max, min } from '../tir/expr.js';
import type { Expr, OpPattern } from '../tir/types.js';
import { at, buffer, compute, lit, primFunc } from './compute.js';
import type { LegalizeCtx, OpDef } from './registry.js';
import { broadcastIndex, broadcastShapes, expectArgs, shapeError, tensor, tensorArg, type TensorInfo } from './shape-util.js';

function binary(name: 'add' | 'mul'): OpDef {
  return {
    name,
    pattern: () => 'broadcast',
    infer(args) {
      expectArgs(name, args, 2);
      const a = tensorArg(name, args, 0), b = tensorArg(name, args, 1);
      if (a.dtype !== b.dtype) throw shapeError(`${name}: operand dtypes differ (${a.dtype} vs ${b.dtype})`, 'Insert a Cast so both operands have the same type.');
      return tensor(a.dtype, broadcastShapes(name, a.shape, b.shape));
    },
    legalize(ctx: LegalizeCtx) {
      const a = ctx.args[0] as TensorInfo, b = ctx.args[1] as TensorInfo, o = ctx.out as TensorInfo;
      const A = buffer('A', a.dtype, a.shape), B = buffer('B', b.dtype, b.shape), T = buffer(`T_${name}`, o.dtype, o.shape);
      const body = compute(T, (v) => bin(name, at(A, broadcastIndex(a.shape, v, o.shape)), at(B, broadcastIndex(b.shape, v, o.shape))));
      return primFunc(ctx.name, [A, B], [T], [body], { pattern: 'broadcast' });
    },
  };
}

function unary(name: string, pattern: OpPattern, fn: (x: Expr, dtype: TensorInfo['dtype'], attrs: Attrs) => Expr,
  check?: (x: TensorInfo, attrs: Attrs) => void): OpDef {
  return {
    name,
    pattern: () => pattern,
    infer(args: readonly StructInfo[], attrs: Attrs) {
      expectArgs(name, args, 1);
      const x = tensorArg(name, args, 0);
      check?.(x, attrs);
      return tensor(x.dtype, x.shape);
    },
    legalize(ctx: LegalizeCtx) {
      const x = ctx.args[0] as TensorInfo, o = ctx.out as TensorInfo;
      const A = buffer('A', x.dtype, x.shape), T = buffer(`T_${name}`, o.dtype, o.shape);
      return primFunc(ctx.name, [A], [T], [compute(T, (v) => fn(at(A, v), x.dtype, ctx.attrs))], { pattern });
    },
  };
}

const bound = (attrs: Attrs, key: string): number | null => {
  const v = attrs[key];
  return typeof v === 'number' ? v : null;
};

export const ELEMENTWISE_OPS: readonly OpDef[] = [
  binary('add'),
  binary('mul'),
  unary('relu', 'elementwise', (x, dt) => max(x, lit(0, dt))),
  unary('clip', 'elementwise', (x, dt, attrs) => {
    const lo = bound(attrs, 'min'), hi = bound(attrs, 'max');
    let e = x;
    if (lo !== null) e = max(e, lit(lo, dt));
    if (hi !== null) e = min(e, lit(hi, dt));
    return e;
  }, (_x, attrs) => {
    for (const k of ['min', 'max']) {
      const v = attrs[k];
      if (v !== undefined && v !== null && typeof v !== 'number') throw shapeError(`clip: attribute '${k}' must be a number or null`);
    }
  }),
  unary('identity', 'elementwise', (x) => x),
];
