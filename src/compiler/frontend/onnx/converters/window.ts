/** Window attributes of Conv / ConvTranspose / MaxPool / AveragePool: reading and resolving auto_pad to pads. */
import type { Expr } from '../../../tir/types.js';
import type { ConvertCtx } from './types.js';

export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

export function autoPad(ctx: ConvertCtx): AutoPad {
  const a = ctx.attr('auto_pad');
  const v = a && a.type === 'string' ? a.value : 'NOTSET';
  if (v !== 'NOTSET' && v !== 'SAME_UPPER' && v !== 'SAME_LOWER' && v !== 'VALID') ctx.unsupported(`auto_pad '${v}'`, 'Use NOTSET, SAME_UPPER, SAME_LOWER or VALID.');
  return v;
}

/** An ints attribute with `n` entries, or `dflt` repeated; a diagnostic when the length is wrong. */
export function intsOr(ctx: ConvertCtx, name: string, n: number, dflt: number): number[] {
  const v = ctx.attrInts(name);
  if (!v) return new Array<number>(n).fill(dflt);
  if (v.length !== n) ctx.unsupported(`'${name}' with ${v.length} entries (expected ${n} for ${n} spatial dims)`);
  return [...v];
}

/** A spatial dim that must be static for auto_pad SAME. */
export function staticSpatial(ctx: ConvertCtx, d: Expr, i: number): number {
  if (d.k !== 'int') ctx.unsupported(`auto_pad SAME with a symbolic spatial dim ${i}`, 'Give the model static spatial sizes, or explicit pads.');
  return d.value;
}

/**
 * Pads (begins then ends) for a forward window (Conv, pooling): explicit `pads`, or from auto_pad. SAME makes the
 * output ceil(D / stride); an odd total goes to the end for SAME_UPPER and to the start for SAME_LOWER.
 */
export function forwardPads(ctx: ConvertCtx, spatial: readonly Expr[], kernel: readonly number[], strides: readonly number[], dilations: readonly number[]): number[] {
  const nd = spatial.length, mode = autoPad(ctx);
  if (mode === 'NOTSET') return intsOr(ctx, 'pads', 2 * nd, 0);
  if (mode === 'VALID') return new Array<number>(2 * nd).fill(0);
  const begin: number[] = [], end: number[] = [];
  for (let i = 0; i < nd; i++) {
    const d = staticSpatial(ctx, spatial[i]!, i), s = strides[i]!;
    const total = Math.max(0, (Math.ceil(d / s) - 1) * s + (kernel[i]! - 1) * dilations[i]! + 1 - d);
    const small = Math.floor(total / 2);
    begin.push(mode === 'SAME_UPPER' ? small : total - small);
    end.push(mode === 'SAME_UPPER' ? total - small : small);
  }
  return [...begin, ...end];
}
