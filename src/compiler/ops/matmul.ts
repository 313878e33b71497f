/** matmul with numpy semantics: 1-D operands are promoted and the promoted dim removed; batch dims broadcast. */
import { add, exprEqual, mul } from '../tir/expr.js';
import { printExpr } from '../tir/printer.js';
import type { Expr } from '../tir/types.js';
import { at, buffer, lit, primFunc, reduce } from './compute.js';
import type { OpDef } from './registry.js';
import { broadcastIndex, broadcastShapes, expectArgs, shapeError, shapeText, tensor, tensorArg, type TensorInfo } from './shape-util.js';

interface Parts { batchA: readonly Expr[]; batchB: readonly Expr[]; batch: Expr[]; m?: Expr; n?: Expr; k: Expr }

function parts(a: TensorInfo, b: TensorInfo): Parts {
  const ra = a.shape.length, rb = b.shape.length;
  if (ra === 0 || rb === 0) throw shapeError(`matmul: operands must have rank >= 1, got ${shapeText(a.shape)} and ${shapeText(b.shape)}`);
  const ka = a.shape[ra - 1]!, kb = rb === 1 ? b.shape[0]! : b.shape[rb - 2]!;
  if (ka.k === 'int' && kb.k === 'int' && ka.value !== kb.value) {
    throw shapeError(`matmul: inner dimensions differ: ${shapeText(a.shape)} x ${shapeText(b.shape)} (${printExpr(ka)} vs ${printExpr(kb)})`);
  }
  if (ka.k !== 'int' && kb.k !== 'int' && !exprEqual(ka, kb)) {
    throw shapeError(`matmul: inner dimensions ${printExpr(ka)} and ${printExpr(kb)} of ${shapeText(a.shape)} x ${shapeText(b.shape)} are different symbols`);
  }
  const batchA = ra > 2 ? a.shape.slice(0, ra - 2) : [], batchB = rb > 2 ? b.shape.slice(0, rb - 2) : [];
  return {
    batchA, batchB, batch: broadcastShapes('matmul', batchA, batchB),
    ...(ra > 1 ? { m: a.shape[ra - 2]! } : {}), ...(rb > 1 ? { n: b.shape[rb - 1]! } : {}),
    k: ka.k === 'int' ? ka : kb,
  };
}

export const MATMUL_OPS: readonly OpDef[] = [{
  name: 'matmul',
  pattern: () => 'out_elementwise_fusable',
  infer(args) {
    expectArgs('matmul', args, 2);
    const a = tensorArg('matmul', args, 0), b = tensorArg('matmul', args, 1);
    if (a.dtype !== b.dtype) throw shapeError(`matmul: operand dtypes differ (${a.dtype} vs ${b.dtype})`);
    const p = parts(a, b);
    return tensor(a.dtype, [...p.batch, ...(p.m ? [p.m] : []), ...(p.n ? [p.n] : [])]);
  },
  legalize(ctx) {
    const a = ctx.args[0] as TensorInfo, b = ctx.args[1] as TensorInfo, o = ctx.out as TensorInfo;
    const p = parts(a, b);
    const A = buffer('A', a.dtype, a.shape), B = buffer('B', b.dtype, b.shape), T = buffer('matmul', o.dtype, o.shape);
    const nb = p.batch.length;
    const body = reduce(T, [p.k], lit(0, o.dtype), (acc, x) => add(acc, x), (v, r) => {
      const vb = v.slice(0, nb);
      const vm = p.m ? [v[nb]!] : [];
      const vn = p.n ? [v[nb + (p.m ? 1 : 0)]!] : [];
      const ia = [...broadcastIndex(p.batchA, vb, p.batch), ...vm, r[0]!];
      const ib = [...broadcastIndex(p.batchB, vb, p.batch), r[0]!, ...vn];
      return mul(at(A, ia), at(B, ib));
    });
    return primFunc(ctx.name, [A, B], [T], [body], { pattern: 'out_elementwise_fusable' });
  },
}];
