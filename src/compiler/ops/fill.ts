/**
 * Generated tensors:
 * - full(shape): attrs dtype, value. Every element is `value` (ONNX ConstantOfShape when the shape is symbolic
 *   or too large to fold).
 * - range(params: shape [start, delta, count]): attr dtype; out[i] = start + i * delta, length `count`.
 *   Int ranges only take symbolic params; float ranges are folded at import time.
 * - trilu(x[, k]): attr upper, k (int, used when no k tensor is given); keeps the upper (j - i >= k) or lower
 *   (j - i <= k) triangle of the last two dims and zeroes the rest. A k tensor (int64 scalar) is read at run time.
 */
import type { DType } from '../../formats/dtype.js';
import type { Attrs } from '../ir/types.js';
import { add, cast, cmp, int, mul, select, sub } from '../tir/expr.js';
import { at, buffer, compute, lit, primFunc } from './compute.js';
import type { OpDef } from './registry.js';
import { boolAttr, expectArgs, numAttr, shapeError, tensor, tensorArg, type TensorInfo } from './shape-util.js';

const DTYPES: readonly DType[] = ['float16', 'bfloat16', 'float32', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'bool'];

function dtypeAttr(op: string, attrs: Attrs): DType {
  const d = attrs.dtype;
  if (typeof d !== 'string' || !DTYPES.includes(d as DType)) throw shapeError(`${op}: attribute dtype must name a dtype, got ${JSON.stringify(d)}`);
  return d as DType;
}

export const FILL_OPS: readonly OpDef[] = [
  {
    name: 'full',
    pattern: () => 'injective',
    infer(args, attrs) {
      expectArgs('full', args, 1);
      const s = args[0]!;
      if (s.k !== 'shape') throw shapeError('full: the argument must be a shape');
      return tensor(dtypeAttr('full', attrs), s.values);
    },
    legalize(ctx) {
      const o = ctx.out as TensorInfo;
      const T = buffer('T_full', o.dtype, o.shape);
      return primFunc(ctx.name, [], [T], [compute(T, () => lit(numAttr(ctx.attrs, 'value', 0), o.dtype))], { pattern: 'injective' });
    },
  },
  {
    name: 'range',
    pattern: () => 'injective',
    infer(args, attrs) {
      expectArgs('range', args, 1);
      const s = args[0]!;
      if (s.k !== 'shape' || s.values.length !== 3) throw shapeError('range: the argument must be a shape [start, delta, count]');
      return tensor(dtypeAttr('range', attrs), [s.values[2]!]);
    },
    legalize(ctx) {
      const o = ctx.out as TensorInfo, s = ctx.args[0] as Extract<typeof ctx.args[0], { k: 'shape' }>;
      const T = buffer('T_range', o.dtype, o.shape);
      const body = compute(T, (v) => cast(add(s.values[0]!, mul(v[0]!, s.values[1]!)), o.dtype));
      return primFunc(ctx.name, [], [T], [body], { pattern: 'injective' });
    },
  },
  {
    name: 'trilu',
    pattern: () => 'injective',
    infer(args) {
      if (args.length !== 1 && args.length !== 2) throw shapeError(`trilu: expects 1 or 2 arguments, got ${args.length}`);
      const x = tensorArg('trilu', args, 0);
      if (x.shape.length < 2) throw shapeError('trilu: input must have rank >= 2');
      if (args.length === 2) {
        const k = tensorArg('trilu', args, 1);
        if (k.dtype !== 'int64' || k.shape.length !== 0) throw shapeError('trilu: k must be an int64 scalar');
      }
      return tensor(x.dtype, x.shape);
    },
    legalize(ctx) {
      const x = ctx.args[0] as TensorInfo, o = ctx.out as TensorInfo, r = x.shape.length;
      const A = buffer('A', x.dtype, x.shape), T = buffer('T_trilu', o.dtype, o.shape);
      const K = ctx.args.length === 2 ? buffer('K', 'int64', []) : undefined;
      const upper = boolAttr(ctx.attrs, 'upper', true);
      const body = compute(T, (v) => {
        const k = K ? at(K, []) : int(numAttr(ctx.attrs, 'k', 0));
        const d = sub(v[r - 1]!, v[r - 2]!);
        return select(upper ? cmp('ge', d, k) : cmp('le', d, k), at(A, v), lit(0, x.dtype));
      });
      return primFunc(ctx.name, K ? [A, K] : [A], [T], [body], { pattern: 'injective' });
    },
  },
];
