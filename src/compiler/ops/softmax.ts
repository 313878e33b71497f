/**
 * softmax / log_softmax along one axis: three stages (max, sum of exp, normalize) with two intermediate buffers.
 */
import { add, bin, call, int, max, sub } from '../tir/expr.js';
import type { Expr } from '../tir/types.js';
import { at, buffer, compute, lit, primFunc, reduce } from './compute.js';
import type { OpDef } from './registry.js';
import { expectArgs, normAxis, numAttr, shapeError, tensor, tensorArg, type TensorInfo } from './shape-util.js';

function softmaxOp(name: 'softmax' | 'log_softmax'): OpDef {
  return {
    name,
    pattern: () => 'comm_reduce',
    infer(args, attrs) {
      expectArgs(name, args, 1);
      const x = tensorArg(name, args, 0);
      if (!x.dtype.startsWith('float') && x.dtype !== 'bfloat16') throw shapeError(`${name}: needs a floating-point tensor, got ${x.dtype}`);
      normAxis(name, numAttr(attrs, 'axis', -1), x.shape.length);
      return tensor(x.dtype, x.shape);
    },
    legalize(ctx) {
      const x = ctx.args[0] as TensorInfo;
      const ax = normAxis(name, numAttr(ctx.attrs, 'axis', -1), x.shape.length);
      const dt = x.dtype;
      const rshape = x.shape.filter((_, i) => i !== ax);
      const A = buffer('A', dt, x.shape), T = buffer(name === 'softmax' ? 'T_softmax_norm' : 'T_log_softmax', dt, x.shape);
      const M = buffer('T_softmax_maxelem', dt, rshape), S = buffer('T_softmax_expsum', dt, rshape);
      const withAxis = (v: readonly Expr[], k: Expr): Expr[] => [...v.slice(0, ax), k, ...v.slice(ax)];
      const drop = (v: readonly Expr[]): Expr[] => v.filter((_, i) => i !== ax);
      const shifted = (v: readonly Expr[]) => sub(at(A, v), at(M, drop(v)));
      const stages = [
        // The max starts from the row's first element: no -inf literal (WGSL cannot write one as a constant).
        reduce(M, [x.shape[ax]!], (v) => at(A, withAxis(v, int(0))), (acc, e) => max(acc, e), (v, r) => at(A, withAxis(v, r[0]!))),
        reduce(S, [x.shape[ax]!], lit(0, dt), (acc, e) => add(acc, e),
          (v, r) => call('exp', [sub(at(A, withAxis(v, r[0]!)), at(M, v))], dt)),
        name === 'softmax'
          ? compute(T, (v) => bin('div', call('exp', [shifted(v)], dt), at(S, drop(v))))
          : compute(T, (v) => sub(shifted(v), call('log', [at(S, drop(v))], dt))),
      ];
      return primFunc(ctx.name, [A], [T], stages, { pattern: 'comm_reduce', intermediates: [M, S] });
    },
  };
}

export const SOFTMAX_OPS: readonly OpDef[] = [softmaxOp('softmax'), softmaxOp('log_softmax')];
