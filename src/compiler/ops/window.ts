/**
 * Sliding-window geometry shared by conv, conv_transpose and the pooling ops: attribute reading, output sizes,
 * input positions and the bounds guards for padding. Spatial dims may be symbolic; guards are emitted only on
 * the sides where a window can leave the input.
 */
import type { AttrValue, Attrs } from '../ir/types.js';
import { add, and, cmp, floordiv, int, max, min, mul, sub, TRUE } from '../tir/expr.js';
import type { Expr } from '../tir/types.js';
import { shapeError } from './shape-util.js';

/** Per-spatial-dim window parameters (all arrays have one entry per spatial dim; pads has begins then ends). */
export interface Window {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly padBegin: readonly number[];
  readonly padEnd: readonly number[];
  readonly ceil: boolean;
}

export function intsAttr(op: string, attrs: Attrs, key: string, n: number, dflt: number): number[] {
  const v: AttrValue | undefined = attrs[key];
  if (v === undefined || v === null) return new Array<number>(n).fill(dflt);
  if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number' && Number.isInteger(x))) {
    throw shapeError(`${op}: attribute '${key}' must be ${n} integers, got ${JSON.stringify(v)}`);
  }
  return v as number[];
}

/** Reads kernel_shape / strides / dilations / pads / ceil_mode for `nd` spatial dims. */
export function readWindow(op: string, attrs: Attrs, nd: number): Window {
  const kernel = intsAttr(op, attrs, 'kernel_shape', nd, 1);
  const strides = intsAttr(op, attrs, 'strides', nd, 1);
  const dilations = intsAttr(op, attrs, 'dilations', nd, 1);
  const pads = intsAttr(op, attrs, 'pads', 2 * nd, 0);
  if ([...kernel, ...strides, ...dilations].some((x) => x < 1)) throw shapeError(`${op}: kernel_shape, strides and dilations must be >= 1`);
  if (pads.some((x) => x < 0)) throw shapeError(`${op}: pads must be >= 0, got ${JSON.stringify(pads)}`);
  return { kernel, strides, dilations, padBegin: pads.slice(0, nd), padEnd: pads.slice(nd), ceil: attrs['ceil_mode'] === 1 || attrs['ceil_mode'] === true };
}

/** Effective (dilated) kernel extent of dim i. */
export const span = (w: Window, i: number): number => (w.kernel[i]! - 1) * w.dilations[i]! + 1;

/**
 * Output size of spatial dim i over an input dim `d`. With ceil_mode a last window that would start in the
 * end padding is dropped (ONNX / PyTorch rule); that adjustment needs a static dim.
 */
export function outDim(op: string, w: Window, i: number, d: Expr): Expr {
  const s = w.strides[i]!, padded = add(d, int(w.padBegin[i]! + w.padEnd[i]! - span(w, i)));
  if (d.k === 'int') {
    const n = d.value + w.padBegin[i]! + w.padEnd[i]! - span(w, i);
    if (n < 0) throw shapeError(`${op}: window ${span(w, i)} (dilated) is larger than padded input dim ${i} (${d.value} + pads ${w.padBegin[i]}/${w.padEnd[i]})`);
    let o = (w.ceil ? Math.ceil(n / s) : Math.floor(n / s)) + 1;
    if (w.ceil && (o - 1) * s >= d.value + w.padBegin[i]!) o--;
    return int(o);
  }
  return add(floordiv(w.ceil ? add(padded, int(s - 1)) : padded, int(s)), int(1));
}

/** Input position read by output position `o` and kernel tap `k` in dim i: o*s - padBegin + k*dilation. */
export function inPos(w: Window, i: number, o: Expr, k: Expr): Expr {
  return add(sub(mul(o, int(w.strides[i]!)), int(w.padBegin[i]!)), mul(k, int(w.dilations[i]!)));
}

/** Whether windows of dim i can reach before the input start / past its end. */
export function reaches(w: Window, i: number, d: Expr, out: Expr): { lo: boolean; hi: boolean } {
  const lo = w.padBegin[i]! > 0;
  if (d.k === 'int' && out.k === 'int') return { lo, hi: (out.value - 1) * w.strides[i]! - w.padBegin[i]! + span(w, i) > d.value };
  return { lo, hi: w.padEnd[i]! > 0 || w.ceil };
}

/** A guard `0 <= pos < d` (only the needed sides) and the position clamped into range for a safe load. */
export function guard(pos: Expr, d: Expr, lo: boolean, hi: boolean): { ok: Expr; idx: Expr } {
  let ok = TRUE, idx = pos;
  if (lo) { ok = and(ok, cmp('ge', pos, int(0))); idx = max(idx, int(0)); }
  if (hi) { ok = and(ok, cmp('lt', pos, d)); idx = min(idx, sub(d, int(1))); }
  return { ok, idx };
}

/** Conjunction of guards. */
export const allOf = (conds: readonly Expr[]): Expr => conds.reduce<Expr>((a, c) => and(a, c), TRUE);
