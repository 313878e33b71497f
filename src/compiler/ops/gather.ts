/**
 * Indexing ops. Indices are int32/int64 tensors read at run time; negative indices count from the end.
 * Out-of-range indices are clamped (ONNX leaves them undefined), so no kernel reads out of bounds.
 * - take(data, indices): attr axis (ONNX Gather); out shape data[:axis] + indices + data[axis+1:].
 * - gather_elements(data, indices): attr axis; out shape = indices shape.
 */
import { add, cast, cmp, select } from '../tir/expr.js';
import type { Expr } from '../tir/types.js';
import { at, buffer, compute, primFunc } from './compute.js';
import { clampIndex } from './layout.js';
import type { OpDef } from './registry.js';
import { expectArgs, normAxis, numAttr, shapeError, shapeText, tensor, tensorArg, type TensorInfo } from './shape-util.js';

/** An index value normalized against `dim` (negative counts from the end) and clamped. */
export function normIndex(raw: Expr, dim: Expr): Expr {
  const i = cast(raw, 'int64');
  return clampIndex(select(cmp('lt', i, { k: 'int', value: 0, dtype: 'int64' }), add(i, dim), i), dim);
}

function indexArg(op: string, args: Parameters<OpDef['infer']>[0]): TensorInfo {
  const ind = tensorArg(op, args, 1);
  if (ind.dtype !== 'int64' && ind.dtype !== 'int32') throw shapeError(`${op}: indices must be int32 or int64, got ${ind.dtype}`);
  return ind;
}

export const GATHER_OPS: readonly OpDef[] = [
  {
    name: 'take',
    pattern: () => 'injective',
    infer(args, attrs) {
      expectArgs('take', args, 2);
      const d = tensorArg('take', args, 0), ind = indexArg('take', args);
      if (d.shape.length === 0) throw shapeError('take: data must have rank >= 1');
      const axis = normAxis('take', numAttr(attrs, 'axis', 0), d.shape.length);
      return tensor(d.dtype, [...d.shape.slice(0, axis), ...ind.shape, ...d.shape.slice(axis + 1)]);
    },
    legalize(ctx) {
      const d = ctx.args[0] as TensorInfo, ind = ctx.args[1] as TensorInfo, o = ctx.out as TensorInfo;
      const axis = normAxis('take', numAttr(ctx.attrs, 'axis', 0), d.shape.length);
      const A = buffer('A', d.dtype, d.shape), I = buffer('Indices', ind.dtype, ind.shape), T = buffer('T_take', o.dtype, o.shape);
      const q = ind.shape.length;
      const body = compute(T, (v) => {
        const i = normIndex(at(I, v.slice(axis, axis + q)), d.shape[axis]!);
        return at(A, [...v.slice(0, axis), i, ...v.slice(axis + q)]);
      });
      return primFunc(ctx.name, [A, I], [T], [body], { pattern: 'injective' });
    },
  },
  {
    name: 'gather_elements',
    pattern: () => 'injective',
    infer(args, attrs) {
      expectArgs('gather_elements', args, 2);
      const d = tensorArg('gather_elements', args, 0), ind = indexArg('gather_elements', args);
      if (d.shape.length !== ind.shape.length || d.shape.length === 0) {
        throw shapeError(`gather_elements: data ${shapeText(d.shape)} and indices ${shapeText(ind.shape)} must have the same rank >= 1`);
      }
      normAxis('gather_elements', numAttr(attrs, 'axis', 0), d.shape.length);
      return tensor(d.dtype, ind.shape);
    },
    legalize(ctx) {
      const d = ctx.args[0] as TensorInfo, ind = ctx.args[1] as TensorInfo, o = ctx.out as TensorInfo;
      const axis = normAxis('gather_elements', numAttr(ctx.attrs, 'axis', 0), d.shape.length);
      const A = buffer('A', d.dtype, d.shape), I = buffer('Indices', ind.dtype, ind.shape), T = buffer('T_gather_elements', o.dtype, o.shape);
      const body = compute(T, (v) => at(A, v.map((e, k) => (k === axis ? normIndex(at(I, v), d.shape[axis]!) : e))));
      return primFunc(ctx.name, [A, I], [T], [body], { pattern: 'injective' });
    },
  },
];
