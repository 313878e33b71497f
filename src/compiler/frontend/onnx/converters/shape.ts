/**
 * Reshape family: Reshape (0 copies, -1 inferred, allowzero; also over symbolic dims), Flatten, Squeeze,
 * Unsqueeze, Transpose, and Shape (only reached when the shape must become a tensor; shape arithmetic is
 * normally evaluated at import time, see shape-values.ts). Target shapes and axes come from known values.
 */
import { exprEqual, floordiv, int, mul, product } from '../../../tir/expr.js';
import type { Expr } from '../../../tir/types.js';
import { shapeError, shapeText } from '../../../ops/shape-util.js';
import type { Atom } from '../../../ir/types.js';
import { axisOf, numberValues, shapeValues } from './shape-input.js';
import type { ConvertCtx, ConverterTable } from './types.js';
import { tensorInfo } from './util.js';

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

function resolveShape(ctx: ConvertCtx, input: readonly Expr[], target: readonly Expr[], allowzero: boolean): Expr[] {
  const out: (Expr | null)[] = target.map((v, i) => {
    if (v.k !== 'int') return v;
    if (v.value === 0 && !allowzero) {
      if (i >= input.length) ctx.unsupported(`a 0 at position ${i} of the target shape, beyond the input's rank ${input.length}`);
      return input[i]!;
    }
    if (v.value === -1) return null;
    if (v.value < -1) ctx.unsupported(`a negative dim ${v.value} in the target shape`);
    return v;
  });
  const holes = out.filter((d) => d === null).length;
  if (holes > 1) ctx.unsupported('more than one -1 in the target shape');
  if (holes === 1) {
    const known = out.filter((d): d is Expr => d !== null);
    const d = inferDim(input, known);
    if (!d) throw shapeError(`Reshape: cannot reshape ${shapeText(input)} to ${shapeText(target)}: the element count does not divide`);
    return out.map((x) => x ?? d);
  }
  return out as Expr[];
}

const reshapeTo = (ctx: ConvertCtx, x: Atom, shape: readonly Expr[]): Atom => ctx.op('reshape', [x, { k: 'shape', values: shape }], {}, 0);

/** Axes from the attribute (before `inputFrom`) or input 1; undefined when absent. */
function axesOf(ctx: ConvertCtx, inputFrom: number): readonly number[] | undefined {
  return ctx.opset < inputFrom ? ctx.attrInts('axes') : numberValues(ctx, 1, 'axes');
}

export const SHAPE_CONVERTERS: ConverterTable = {
  Reshape: {
    attrs: ['allowzero', 'shape', 'consumed_inputs'],
    constInputs: [1],
    convert(ctx: ConvertCtx) {
      const x = ctx.required(0, 'data');
      const info = tensorInfo(ctx, x, 'data');
      let target: readonly Expr[];
      if (ctx.opset < 5) {
        const s = ctx.attrInts('shape');
        if (!s) ctx.unsupported("a Reshape without the 'shape' attribute");
        target = s.map((v) => int(v));
      } else {
        target = shapeValues(ctx, 1, 'shape') ?? ctx.unsupported("a Reshape without its 'shape' input");
      }
      ctx.setOutput(0, reshapeTo(ctx, x, resolveShape(ctx, info.shape, target, ctx.attrInt('allowzero', 0) === 1)));
    },
  },
  Flatten: {
    attrs: ['axis'],
    convert(ctx: ConvertCtx) {
      const x = ctx.required(0, 'input');
      const s = tensorInfo(ctx, x, 'input').shape;
      const raw = ctx.attrInt('axis', 1);
      const axis = raw < 0 ? raw + s.length : raw;
      if (axis < 0 || axis > s.length) ctx.unsupported(`axis ${raw} for a rank-${s.length} input`);
      ctx.setOutput(0, reshapeTo(ctx, x, [product(s.slice(0, axis)), product(s.slice(axis))]));
    },
  },
  Squeeze: {
    attrs: ['axes'],
    constInputs: [1],
    convert(ctx: ConvertCtx) {
      const x = ctx.required(0, 'data');
      const s = tensorInfo(ctx, x, 'data').shape;
      const raw = axesOf(ctx, 13);
      const axes = raw ? raw.map((a) => axisOf(ctx, a, s.length)) : s.flatMap((d, i) => (d.k === 'int' && d.value === 1 ? [i] : []));
      for (const a of axes) {
        const d = s[a]!;
        if (d.k === 'int' && d.value !== 1) ctx.unsupported(`squeezing axis ${a} of size ${d.value} (must be 1)`);
      }
      ctx.setOutput(0, reshapeTo(ctx, x, s.filter((_, i) => !axes.includes(i))));
    },
  },
  Unsqueeze: {
    attrs: ['axes'],
    constInputs: [1],
    convert(ctx: ConvertCtx) {
      const x = ctx.required(0, 'data');
      const s = tensorInfo(ctx, x, 'data').shape;
      const raw = axesOf(ctx, 13);
      if (!raw) ctx.unsupported("an Unsqueeze without 'axes'");
      const r = s.length + raw.length;
      const axes = raw.map((a) => axisOf(ctx, a, r));
      if (new Set(axes).size !== axes.length) ctx.unsupported(`repeated axes [${raw.join(', ')}]`);
      const out: Expr[] = [];
      let j = 0;
      for (let i = 0; i < r; i++) out.push(axes.includes(i) ? int(1) : s[j++]!);
      ctx.setOutput(0, reshapeTo(ctx, x, out));
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
  Shape: {
    attrs: ['start', 'end'],
    convert(ctx: ConvertCtx) {
      // Reached only when the evaluator did not fold it (it always does for tensors); keep a clear diagnostic.
      ctx.unsupported('Shape of a non-tensor value');
    },
  },
};
