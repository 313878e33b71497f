/** softmax along one axis: three stages (max, sum of exp, normalize) with two intermediate buffers. */
import { add, call, max, sub, bin } from '../tir/expr.js';
import type { Expr } from '../tir/types.js';
import { at, buffer, compute, lit, minValue, primFunc, reduce } from './compute.js';
import type { OpDef } from './registry.js';
import { expectArgs, normAxis, numAttr, shapeError, tensor, tensorArg, type TensorInfo } from './shape-util.js';

export const SOFTMAX_OPS: readonly OpDef[] = [{
  name: 'softmax',
  pattern: () => 'comm_reduce',
  infer(args, attrs) {
    expectArgs('softmax', args, 1);
    const x = tensorArg('softmax', args, 0);
    if (!x.dtype.startsWith('float') && x.dtype !== 'bfloat16') throw shapeError(`softmax: needs a floating-point tensor, got ${x.dtype}`);
    normAxis('softmax', numAttr(attrs, 'axis', -1), x.shape.length);
    return tensor(x.dtype, x.shape);
  },
  legalize(ctx) {
    const x = ctx.args[0] as TensorInfo;
    const ax = normAxis('softmax', numAttr(ctx.attrs, 'axis', -1), x.shape.length);
    const dt = x.dtype;
    const rshape = x.shape.filter((_, i) => i !== ax);
    const A = buffer('A', dt, x.shape), T = buffer('T_softmax_norm', dt, x.shape);
    const M = buffer('T_softmax_maxelem', dt, rshape), S = buffer('T_softmax_expsum', dt, rshape);
    const withAxis = (v: readonly Expr[], k: Expr): Expr[] => [...v.slice(0, ax), k, ...v.slice(ax)];
    const drop = (v: readonly Expr[]): Expr[] => v.filter((_, i) => i !== ax);
    const stages = [
      reduce(M, [x.shape[ax]!], minValue(dt), (acc, e) => max(acc, e), (v, r) => at(A, withAxis(v, r[0]!))),
      reduce(S, [x.shape[ax]!], lit(0, dt), (acc, e) => add(acc, e),
        (v, r) => call('exp', [sub(at(A, withAxis(v, r[0]!)), at(M, v))], dt)),
      compute(T, (v) => bin('div', call('exp', [sub(at(A, v), at(M, drop(v)))], dt), at(S, drop(v)))),
    ];
    return primFunc(ctx.name, [A], [T], stages, { pattern: 'comm_reduce', intermediates: [M, S] });
  },
}];
