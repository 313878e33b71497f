/**
 * Reading build-time inputs (shapes, axes, pads, repeats...) from known values: constants and shape arithmetic
 * evaluated at import time (shape-values.ts). Values that are only known at run time are reported as
 * RLX_ONNX_UNSUPPORTED naming the node, op, opset and input.
 */
import { elemNum, isShapeExpr, knownInts } from '../shape-values.js';
import type { Expr } from '../../../tir/types.js';
import type { ConvertCtx } from './types.js';

const HINT = 'relax needs this input at build time because it decides output shapes. Make it an initializer or '
  + 'Constant, compute it from Shape() of other tensors, or bind the graph input to a value when building.';

function notKnown(ctx: ConvertCtx, i: number, what: string): never {
  return ctx.unsupported(`a '${what}' input that is not known at build time (input '${ctx.node.inputs[i]}' is computed at run time)`, HINT);
}

/** Whether optional input i is given (without turning a known value into a tensor, as `ctx.input` would). */
export function hasInput(ctx: ConvertCtx, i: number): boolean {
  const n = ctx.node.inputs[i];
  return n !== undefined && n !== '';
}

/**
 * Int values of input i as int64 expressions (literals or symbolic dims); undefined when the input is absent.
 * A value the build cannot reduce to shape arithmetic (it depends on a comparison of symbolic dims, e.g.
 * `Where(batch == 1, ...)`) is read at run time instead: its tensor is bound to fresh symbolic vars.
 */
export function shapeValues(ctx: ConvertCtx, i: number, what: string): Expr[] | undefined {
  if (!hasInput(ctx, i)) return undefined;
  const k = ctx.knownValue(i);
  if (!k) notKnown(ctx, i, what);
  const v = knownInts(k);
  if (!v) ctx.unsupported(`a '${what}' input of type ${k.dtype} (expected an integer tensor)`);
  if (v.every(isShapeExpr)) return v;
  // Only the undecided elements go through a tensor (decided ones, such as a literal -1, keep their expressions).
  const open = v.filter((e) => !isShapeExpr(e));
  const t = ctx.op('shape_to_tensor', [{ k: 'shape', values: open }], { dtype: 'int64', shape: [open.length] }, `${what}_values`);
  const vars = open.map(() => ctx.freshSymVar(`${what.replace(/[^A-Za-z0-9]/g, '_')}_`));
  const sv = ctx.sinfo(ctx.op('tensor_to_shape', [t], { vars }, `${what}_runtime`));
  if (sv.k !== 'shape') ctx.unsupported(`a '${what}' input that is not a shape`);
  let j = 0;
  return v.map((e) => (isShapeExpr(e) ? e : sv.values[j++]!));
}

/** Concrete numbers of input i (ints or floats); undefined when absent. Symbolic values are a diagnostic. */
export function numberValues(ctx: ConvertCtx, i: number, what: string): number[] | undefined {
  if (!hasInput(ctx, i)) return undefined;
  const k = ctx.knownValue(i);
  if (!k) notKnown(ctx, i, what);
  const v = k.values.map(elemNum);
  if (v.some((x) => x === undefined)) {
    ctx.unsupported(`a '${what}' input whose values depend on symbolic dims`, 'Export the model with fixed sizes for the dims that decide this value.');
  }
  return v as number[];
}

/** A required scalar (one-element) build-time number. */
export function scalarValue(ctx: ConvertCtx, i: number, what: string): number {
  const v = numberValues(ctx, i, what);
  if (!v) ctx.unsupported(`a missing '${what}' input`);
  if (v.length !== 1) ctx.unsupported(`a '${what}' input with ${v.length} elements (expected one)`);
  return v[0]!;
}

/** Normalizes an axis against a rank, with a diagnostic when it is out of range. */
export function axisOf(ctx: ConvertCtx, raw: number, rank: number): number {
  const a = raw < 0 ? raw + rank : raw;
  if (!Number.isInteger(a) || a < 0 || a >= Math.max(rank, 1)) ctx.unsupported(`axis ${raw} for a rank-${rank} input`);
  return a;
}
