/** Constructors for TIR expressions with light constant folding, so generated index math stays readable. */
import type { BinOp, CmpOp, DType, Expr, MathFn } from './types.js';

export const int = (value: number, dtype: DType = 'int64'): Expr => ({ k: 'int', value, dtype });
export const float = (value: number, dtype: DType = 'float32'): Expr => ({ k: 'float', value, dtype });
export const ivar = (name: string): Expr => ({ k: 'var', name, dtype: 'int64' });
export const svar = (name: string, dtype: DType): Expr => ({ k: 'var', name, dtype });
export const load = (buffer: string, indices: readonly Expr[], dtype: DType): Expr => ({ k: 'load', buffer, indices, dtype });
export const call = (fn: MathFn, args: readonly Expr[], dtype: DType): Expr => ({ k: 'call', fn, args, dtype });
export const cast = (a: Expr, dtype: DType): Expr =>
  a.dtype === dtype ? a : a.k === 'int' && dtype !== 'bool' && !dtype.startsWith('float') ? int(a.value, dtype) : { k: 'cast', a, dtype };
export const select = (cond: Expr, t: Expr, f: Expr): Expr => ({ k: 'select', cond, t, f, dtype: t.dtype });

const isInt = (e: Expr, v?: number): e is Extract<Expr, { k: 'int' }> => e.k === 'int' && (v === undefined || e.value === v);

export function bin(op: BinOp, a: Expr, b: Expr): Expr {
  const dtype = a.dtype;
  if (isInt(a) && isInt(b)) {
    const x = a.value, y = b.value;
    switch (op) {
      case 'add': return int(x + y, dtype);
      case 'sub': return int(x - y, dtype);
      case 'mul': return int(x * y, dtype);
      case 'floordiv': if (y !== 0) return int(Math.floor(x / y), dtype); break;
      case 'floormod': if (y !== 0) return int(x - Math.floor(x / y) * y, dtype); break;
      case 'min': return int(Math.min(x, y), dtype);
      case 'max': return int(Math.max(x, y), dtype);
      default: break;
    }
  }
  if (op === 'add') { if (isInt(a, 0)) return b; if (isInt(b, 0)) return a; }
  if (op === 'sub' && isInt(b, 0)) return a;
  if (op === 'mul') {
    if (isInt(a, 1)) return b; if (isInt(b, 1)) return a;
    if ((isInt(a, 0) || isInt(b, 0)) && a.k !== 'float') return int(0, dtype);
  }
  if ((op === 'floordiv') && isInt(b, 1)) return a;
  if (op === 'floormod' && isInt(b, 1)) return int(0, dtype);
  // (x * c) floordiv c  ==> x ; (x * c) floormod c ==> 0
  if ((op === 'floordiv' || op === 'floormod') && isInt(b) && a.k === 'bin' && a.op === 'mul' && isInt(a.b, b.value)) {
    return op === 'floordiv' ? a.a : int(0, dtype);
  }
  return { k: 'bin', op, a, b, dtype };
}

export const add = (a: Expr, b: Expr) => bin('add', a, b);
export const sub = (a: Expr, b: Expr) => bin('sub', a, b);
export const mul = (a: Expr, b: Expr) => bin('mul', a, b);
export const floordiv = (a: Expr, b: Expr) => bin('floordiv', a, b);
export const floormod = (a: Expr, b: Expr) => bin('floormod', a, b);
export const min = (a: Expr, b: Expr) => bin('min', a, b);
export const max = (a: Expr, b: Expr) => bin('max', a, b);
export const cmp = (op: CmpOp, a: Expr, b: Expr): Expr => {
  if (isInt(a) && isInt(b)) {
    const x = a.value, y = b.value;
    const r = op === 'eq' ? x === y : op === 'ne' ? x !== y : op === 'lt' ? x < y : op === 'le' ? x <= y : op === 'gt' ? x > y : x >= y;
    return int(r ? 1 : 0, 'bool');
  }
  return { k: 'cmp', op, a, b, dtype: 'bool' };
};
export const and = (a: Expr, b: Expr): Expr => {
  if (isInt(a, 1) && a.dtype === 'bool') return b;
  if (isInt(b, 1) && b.dtype === 'bool') return a;
  return { k: 'bin', op: 'and', a, b, dtype: 'bool' };
};
export const TRUE: Expr = int(1, 'bool');

/** Product of dims (int64). */
export function product(dims: readonly Expr[]): Expr {
  return dims.reduce<Expr>((acc, d) => mul(acc, d), int(1));
}

/** Free int variables of an expression, in first-seen order. */
export function freeVars(e: Expr, out: string[] = []): string[] {
  switch (e.k) {
    case 'var': if (!out.includes(e.name)) out.push(e.name); break;
    case 'bin': case 'cmp': freeVars(e.a, out); freeVars(e.b, out); break;
    case 'call': for (const a of e.args) freeVars(a, out); break;
    case 'select': freeVars(e.cond, out); freeVars(e.t, out); freeVars(e.f, out); break;
    case 'cast': freeVars(e.a, out); break;
    case 'load': for (const i of e.indices) freeVars(i, out); break;
    default: break;
  }
  return out;
}

/** Replaces variables by expressions. */
export function substitute(e: Expr, map: ReadonlyMap<string, Expr>): Expr {
  switch (e.k) {
    case 'var': return map.get(e.name) ?? e;
    case 'bin': return e.op === 'and' && e.dtype === 'bool'
      ? and(substitute(e.a, map), substitute(e.b, map))
      : bin(e.op, substitute(e.a, map), substitute(e.b, map));
    case 'cmp': return cmp(e.op, substitute(e.a, map), substitute(e.b, map));
    case 'call': return { ...e, args: e.args.map((a) => substitute(a, map)) };
    case 'select': return { ...e, cond: substitute(e.cond, map), t: substitute(e.t, map), f: substitute(e.f, map) };
    case 'cast': return { ...e, a: substitute(e.a, map) };
    case 'load': return { ...e, indices: e.indices.map((i) => substitute(i, map)) };
    default: return e;
  }
}

/** Structural equality of expressions. */
export function exprEqual(a: Expr, b: Expr): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
