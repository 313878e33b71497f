/** Reshape (constant target shape; 0 copies, -1 inferred, also over symbolic dims) and Transpose. */
import { exprEqual, floordiv, int, mul, product } from '../../../tir/expr.js';
import type { Expr } from '../../../tir/types.js';
import { shapeError, shapeText } from '../../../ops/shape-util.js';
import type { ConvertCtx, ConverterTable } from './types.js';
import { tensorInfo, tensorValues } from './util.js';

/** Symbolic product split into an integer part and symbolic factors. */
function factor(dims: readonly Expr[]): { n: number; syms: Expr[] } {
  let n = 1;
  const syms: Expr[] = [];
  for (const d of dims) {
    if (d.k === 'int') n *= d.value;
    else syms.push(d);
  }
  return { n, syms };
}

/** The dim that makes `known` (plus it) hold as many elements as `input`. */
export function inferDim(input: readonly Expr[], known: readonly Expr[]): Expr | undefined {
  const num = factor(input), den = factor(known);
  const left = [...num.syms];
  let exact = true;
  for (const s of den.syms) {
    const i = left.findIndex((x) => exprEqual(x, s));
    if (i < 0) { exact = false; break; }
    left.splice(i, 1);
  }
  if (exact && den.n !== 0 && num.n % den.n === 0) {
    return left.reduce<Expr>((acc, d) => mul(acc, d), int(num.n / den.n));
  }
  if (exact && left.length === 0) return undefined; // integer mismatch: not divisible
  return floordiv(product(input), product(known));
}

function resolveShape(ctx: ConvertCtx, input: readonly Expr[], target: readonly number[], allowzero: boolean): Expr[] {
  const out: (Expr | null)[] = target.map((v, i) => {
    if (v === 0 && !allowzero) {
      if (i >= input.length) ctx.unsupported(`a 0 at position ${i} of the target shape, beyond the input's rank ${input.length}`);
      return input[i]!;
    }
    if (v === -1) return null;
    if (v < -1) ctx.unsupported(`a negative dim ${v} in the target shape`);
    return int(v);
  });
  const holes = out.filter((d) => d === null).length;
  if (holes > 1) ctx.unsupported('more than one -1 in the target shape');
  if (holes === 1) {
    const known = out.filter((d): d is Expr => d !== null);
    const d = inferDim(input, known);
    if (!d) {
      throw shapeError(`Reshape: cannot reshape ${shapeText(input)} to [${target.join(', ')}]: the element count does not divide`);
    }
    return out.map((x) => x ?? d);
  }
  return out as Expr[];
}

export const SHAPE_CONVERTERS: ConverterTable = {
  Reshape: {
    attrs: ['allowzero', 'shape', 'consumed_inputs'],
    constInputs: [1],
    convert(ctx: ConvertCtx) {
      const x = ctx.required(0, 'data');
      const info = tensorInfo(ctx, x, 'data');
      let target: readonly number[];
      if (ctx.opset < 5) {
        const s = ctx.attrInts('shape');
        if (!s) ctx.unsupported("a Reshape without the 'shape' attribute");
        target = s;
      } else {
        ctx.required(1, 'shape');
        const t = ctx.constant(1);
        if (!t) {
          ctx.unsupported(`a target shape computed at run time (input '${ctx.node.inputs[1]}' is not a constant)`,
            'Fold shape computations into constants (e.g. with onnx-simplifier), or export with fixed shapes.');
        }
        target = tensorValues(t);
      }
      const shape = resolveShape(ctx, info.shape, target, ctx.attrInt('allowzero', 0) === 1);
      ctx.setOutput(0, ctx.op('reshape', [x, { k: 'shape', values: shape }], {}, 0));
    },
  },
  Transpose: {
    attrs: ['perm'],
    convert(ctx: ConvertCtx) {
      const x = ctx.required(0, 'data');
      const r = tensorInfo(ctx, x, 'data').shape.length;
      const perm = ctx.attrInts('perm') ?? [...Array(r).keys()].reverse();
      ctx.setOutput(0, ctx.op('transpose', [x], { perm: [...perm] }, 0));
    },
  },
};
