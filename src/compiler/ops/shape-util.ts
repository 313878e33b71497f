/** Helpers for op shape/type inference: struct-info checks, symbolic broadcasting, readable shape text. */
import { RelaxError } from '../../diagnostics/index.js';
import type { AttrValue, Attrs, StructInfo } from '../ir/types.js';
import { exprEqual, int } from '../tir/expr.js';
import { printExpr } from '../tir/printer.js';
import type { DType, Expr } from '../tir/types.js';

export type TensorInfo = Extract<StructInfo, { k: 'tensor' }>;

export function shapeText(shape: readonly Expr[]): string {
  return `[${shape.map(printExpr).join(', ')}]`;
}

export function sinfoText(s: StructInfo): string {
  switch (s.k) {
    case 'tensor': return `${s.dtype}${shapeText(s.shape)}`;
    case 'tuple': return `(${s.fields.map(sinfoText).join(', ')})`;
    case 'shape': return `shape${shapeText(s.values)}`;
    case 'object': return 'object';
  }
}

export function shapeError(msg: string, hint?: string): RelaxError {
  return new RelaxError('RLX_SHAPE_MISMATCH', msg, undefined, hint);
}

export function tensorArg(op: string, args: readonly StructInfo[], i: number): TensorInfo {
  const a = args[i];
  if (!a || a.k !== 'tensor') {
    throw shapeError(`${op}: argument ${i} must be a tensor, got ${a ? sinfoText(a) : 'nothing'}`);
  }
  return a;
}

export function expectArgs(op: string, args: readonly StructInfo[], n: number): void {
  if (args.length !== n) throw shapeError(`${op}: expects ${n} argument(s), got ${args.length}`);
}

export const tensor = (dtype: DType, shape: readonly Expr[]): TensorInfo => ({ k: 'tensor', dtype, shape });

export const isOne = (e: Expr): boolean => e.k === 'int' && e.value === 1;

/** Numpy broadcasting over symbolic dims. Literal 1 broadcasts; equal exprs match; a literal wins over a symbol. */
export function broadcastShapes(op: string, a: readonly Expr[], b: readonly Expr[]): Expr[] {
  const r = Math.max(a.length, b.length);
  const out: Expr[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? int(1), y = b[b.length - r + i] ?? int(1);
    if (isOne(x)) out.push(y);
    else if (isOne(y) || exprEqual(x, y)) out.push(x);
    else if (x.k === 'int' && y.k === 'int') {
      throw shapeError(`${op}: shapes ${shapeText(a)} and ${shapeText(b)} cannot be broadcast (dim ${i}: ${x.value} vs ${y.value})`);
    } else if (x.k === 'int') out.push(x);
    else if (y.k === 'int') out.push(y);
    else {
      throw shapeError(`${op}: shapes ${shapeText(a)} and ${shapeText(b)} cannot be broadcast: dims ${printExpr(x)} and ${printExpr(y)} are different symbols`,
        'Give the model inputs consistent dimension names, or fixed sizes, so relax can prove the shapes agree.');
    }
  }
  return out;
}

/** Index into an input of shape `inShape` broadcast to an output indexed by `outIdx` (right-aligned). */
export function broadcastIndex(inShape: readonly Expr[], outIdx: readonly Expr[], outShape: readonly Expr[]): Expr[] {
  const off = outIdx.length - inShape.length;
  return inShape.map((d, i) => (isOne(d) && !isOne(outShape[off + i]!) ? int(0) : outIdx[off + i]!));
}

export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= Math.max(rank, 1)) throw shapeError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

export function numAttr(attrs: Attrs, key: string, dflt: number): number {
  const v: AttrValue | undefined = attrs[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'number') throw new RelaxError('RLX_INTERNAL', `attribute '${key}' must be a number, got ${JSON.stringify(v)}`);
  return v;
}

export function boolAttr(attrs: Attrs, key: string, dflt: boolean): boolean {
  const v = attrs[key];
  if (v === undefined || v === null) return dflt;
  return v === true || v === 1;
}
