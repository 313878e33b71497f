/** Layout ops: transpose (attr perm) and reshape (target shape as a shape argument). */
import type { StructInfo } from '../ir/types.js';
import { add, exprEqual, floordiv, floormod, int, mul, product } from '../tir/expr.js';
import { printExpr } from '../tir/printer.js';
import type { Expr } from '../tir/types.js';
import { at, buffer, compute, primFunc } from './compute.js';
import type { OpDef } from './registry.js';
import { expectArgs, shapeError, shapeText, tensor, tensorArg, type TensorInfo } from './shape-util.js';

function perm(attrs: Readonly<Record<string, unknown>>, rank: number): number[] {
  const p = attrs.perm;
  const out = Array.isArray(p) ? (p as number[]) : [...Array(rank).keys()].reverse();
  const sorted = [...out].sort((x, y) => x - y);
  if (out.length !== rank || sorted.some((v, i) => v !== i)) {
    throw shapeError(`transpose: perm [${out.join(', ')}] is not a permutation of the ${rank} axes`);
  }
  return out;
}

/** Row-major strides of a shape, as int64 expressions. */
export function strides(shape: readonly Expr[]): Expr[] {
  const s: Expr[] = new Array<Expr>(shape.length);
  let acc: Expr = int(1);
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc = mul(acc, shape[i]!); }
  return s;
}

/** Flat row-major offset of an index. */
export function flatIndex(idx: readonly Expr[], shape: readonly Expr[]): Expr {
  const st = strides(shape);
  return idx.reduce<Expr>((acc, v, i) => add(acc, mul(v, st[i]!)), int(0));
}

/** Unravels a flat offset into an index of `shape`. */
export function unravel(flat: Expr, shape: readonly Expr[]): Expr[] {
  const st = strides(shape);
  return shape.map((d, i) => (i === 0 ? floordiv(flat, st[i]!) : floormod(floordiv(flat, st[i]!), d)));
}

function sameCount(a: readonly Expr[], b: readonly Expr[]): boolean | undefined {
  const pa = product(a), pb = product(b);
  if (pa.k === 'int' && pb.k === 'int') return pa.value === pb.value;
  return exprEqual(pa, pb) ? true : undefined;
}

export const TRANSFORM_OPS: readonly OpDef[] = [
  {
    name: 'transpose',
    pattern: () => 'injective',
    infer(args, attrs) {
      expectArgs('transpose', args, 1);
      const x = tensorArg('transpose', args, 0);
      const p = perm(attrs, x.shape.length);
      return tensor(x.dtype, p.map((i) => x.shape[i]!));
    },
    legalize(ctx) {
      const x = ctx.args[0] as TensorInfo, o = ctx.out as TensorInfo;
      const p = perm(ctx.attrs, x.shape.length);
      const A = buffer('A', x.dtype, x.shape), T = buffer('T_transpose', o.dtype, o.shape);
      return primFunc(ctx.name, [A], [T], [compute(T, (v) => {
        const idx: Expr[] = new Array<Expr>(p.length);
        p.forEach((src, j) => { idx[src] = v[j]!; });
        return at(A, idx);
      })], { pattern: 'injective' });
    },
  },
  {
    name: 'reshape',
    pattern: () => 'injective',
    infer(args: readonly StructInfo[]) {
      expectArgs('reshape', args, 2);
      const x = tensorArg('reshape', args, 0);
      const s = args[1]!;
      if (s.k !== 'shape') throw shapeError('reshape: the second argument must be a shape');
      for (const d of s.values) {
        if (d.k === 'int' && d.value < 0) throw shapeError(`reshape: target shape ${shapeText(s.values)} has a negative dim (resolve -1 before building the op)`);
      }
      if (sameCount(x.shape, s.values) === false) {
        throw shapeError(`reshape: cannot reshape ${shapeText(x.shape)} (${printExpr(product(x.shape))} elements) to ${shapeText(s.values)} (${printExpr(product(s.values))} elements)`);
      }
      return tensor(x.dtype, s.values);
    },
    legalize(ctx) {
      const x = ctx.args[0] as TensorInfo, o = ctx.out as TensorInfo;
      const A = buffer('A', x.dtype, x.shape), T = buffer('T_reshape', o.dtype, o.shape);
      // viewOf: left unfused, RewriteDataflowReshape turns the call into a vm.reshape view.
      return primFunc(ctx.name, [A], [T], [compute(T, (v) => at(A, unravel(flatIndex(v, o.shape), x.shape)))], { pattern: 'injective', attrs: { viewOf: 'reshape' } });
    },
  },
];
