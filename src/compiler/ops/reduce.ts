/**
 * Reductions over a set of axes (`reduce_<kind>`, attrs `axes` (ints), `keepdims` (bool)) and arg-reductions
 * (`argmax` / `argmin`, attrs `axis`, `keepdims`, `select_last_index`; int64 result).
 *
 * Legalization keeps GPU rules in mind: a plain reduction is one reduction block (`T = T op f(x)` with an `init`),
 * optionally followed by one elementwise epilogue at the same output point (mean, l2, log_sum): the shape the
 * Reduction rule schedules with one thread block per output element. Empty reductions (a reduced dim of literal
 * 0) become a single block writing the identity (0, 1, ±inf...) through the epilogue, because a reduction block
 * whose reduce loop never runs never runs its `init` either. `axes: []` means "reduce nothing": the op is the
 * identity (ONNX's noop_with_empty_axes; converters resolve ONNX's "empty means all").
 */
import type { Attrs, StructInfo } from '../ir/types.js';
import { add, bin, call, cast, cmp, int, max, mul, select, sub } from '../tir/expr.js';
import type { BinOp, DType, Expr, OpPattern } from '../tir/types.js';
import { at, buffer, compute, lit, minValue, primFunc, reduce } from './compute.js';
import type { LegalizeCtx, OpDef } from './registry.js';
import { boolAttr, expectArgs, normAxis, numAttr, shapeError, tensor, tensorArg, type TensorInfo } from './shape-util.js';

export type ReduceKind = 'sum' | 'mean' | 'max' | 'min' | 'prod' | 'sum_square' | 'l1' | 'l2' | 'log_sum' | 'log_sum_exp';
export const REDUCE_KINDS: readonly ReduceKind[] = ['sum', 'mean', 'max', 'min', 'prod', 'sum_square', 'l1', 'l2', 'log_sum', 'log_sum_exp'];

const isFloat = (dt: DType): boolean => dt.startsWith('float') || dt === 'bfloat16';

/** Largest value of a dtype, or +inf for floats. */
export function maxIdentity(dtype: DType): Expr {
  switch (dtype) {
    case 'float32': case 'float64': case 'float16': case 'bfloat16': return lit(Infinity, dtype);
    case 'bool': return lit(1, dtype);
    case 'int8': return lit(127, dtype);
    case 'uint8': return lit(255, dtype);
    case 'int16': return lit(32767, dtype);
    case 'uint16': return lit(65535, dtype);
    case 'int32': return lit(2147483647, dtype);
    case 'uint32': return lit(4294967295, dtype);
    case 'int64': case 'uint64': return lit(9007199254740991, dtype);
  }
}

/** Smallest value of a dtype, or -inf for floats. */
export function minIdentity(dtype: DType): Expr {
  return isFloat(dtype) ? lit(-Infinity, dtype) : minValue(dtype);
}

/** Normalized, sorted, de-duplicated axes; throws on out-of-range axes. */
export function normAxes(op: string, axes: readonly number[], rank: number): number[] {
  return [...new Set(axes.map((a) => normAxis(op, a, rank)))].sort((x, y) => x - y);
}

function axesAttr(op: string, attrs: Attrs, rank: number): number[] {
  const a = attrs.axes;
  if (a === undefined || a === null) return [...Array(rank).keys()];
  if (!Array.isArray(a) || a.some((x) => typeof x !== 'number')) throw shapeError(`${op}: attribute 'axes' must be a list of ints`);
  return normAxes(op, a as number[], rank);
}

/** Output shape of reducing `shape` over `axes`. */
export function reducedShape(shape: readonly Expr[], axes: readonly number[], keepdims: boolean): Expr[] {
  return keepdims ? shape.map((d, i) => (axes.includes(i) ? int(1) : d)) : shape.filter((_, i) => !axes.includes(i));
}

/** Input index from an output index `v` and reduce vars `r` (one per reduced axis, in axis order). */
export function reducedInputIndex(rank: number, axes: readonly number[], keepdims: boolean, v: readonly Expr[], r: readonly Expr[]): Expr[] {
  const idx: Expr[] = [];
  let vi = 0, ri = 0;
  for (let i = 0; i < rank; i++) {
    if (axes.includes(i)) { idx.push(r[ri++]!); if (keepdims) vi++; } else idx.push(v[vi++]!);
  }
  return idx;
}

interface KindSpec {
  /** Combiner and its identity for the accumulator dtype. */
  combine: BinOp;
  init(dt: DType): Expr;
  /** Per-element term. */
  term(x: Expr, dt: DType): Expr;
  /** Epilogue on the accumulated value (n = number of reduced elements, int64). */
  finish?(acc: Expr, dt: DType, n: Expr): Expr;
}

/** The element count `n` (int64) as a value of dtype `dt`. */
export const countAs = (n: Expr, dt: DType): Expr => (n.k === 'int' ? lit(n.value, dt) : cast(n, dt));

const sqrtOf = (x: Expr, dt: DType): Expr => (isFloat(dt) ? call('sqrt', [x], dt) : cast(call('sqrt', [cast(x, 'float64')], 'float64'), dt));
const logOf = (x: Expr, dt: DType): Expr => (isFloat(dt) ? call('log', [x], dt) : cast(call('log', [cast(x, 'float64')], 'float64'), dt));

const SPECS: Record<Exclude<ReduceKind, 'log_sum_exp'>, KindSpec> = {
  sum: { combine: 'add', init: (dt) => lit(0, dt), term: (x) => x },
  mean: {
    combine: 'add', init: (dt) => lit(0, dt), term: (x) => x,
    finish: (acc, dt, n) => bin(isFloat(dt) ? 'div' : 'floordiv', acc, countAs(n, dt)),
  },
  max: { combine: 'max', init: minIdentity, term: (x) => x },
  min: { combine: 'min', init: maxIdentity, term: (x) => x },
  prod: { combine: 'mul', init: (dt) => lit(1, dt), term: (x) => x },
  sum_square: { combine: 'add', init: (dt) => lit(0, dt), term: (x) => mul(x, x) },
  l1: { combine: 'add', init: (dt) => lit(0, dt), term: (x, dt) => call('abs', [x], dt) },
  l2: { combine: 'add', init: (dt) => lit(0, dt), term: (x) => mul(x, x), finish: sqrtOf },
  log_sum: { combine: 'add', init: (dt) => lit(0, dt), term: (x) => x, finish: logOf },
};

/** bool min/max are logical and/or (every backend has those for bool). */
function combinerFor(kind: ReduceKind, dt: DType): BinOp {
  const c = kind === 'log_sum_exp' ? 'add' : SPECS[kind].combine;
  if (dt === 'bool' && c === 'max') return 'or';
  if (dt === 'bool' && c === 'min') return 'and';
  return c;
}

function reduceOp(kind: ReduceKind): OpDef {
  const name = `reduce_${kind}`;
  return {
    name,
    pattern: () => 'comm_reduce',
    infer(args: readonly StructInfo[], attrs: Attrs) {
      expectArgs(name, args, 1);
      const x = tensorArg(name, args, 0);
      if ((kind === 'log_sum_exp' || kind === 'mean' || kind === 'l2' || kind === 'log_sum') && x.dtype === 'bool') {
        throw shapeError(`${name}: needs a numeric tensor, got bool`);
      }
      const axes = axesAttr(name, attrs, x.shape.length);
      return tensor(x.dtype, reducedShape(x.shape, axes, boolAttr(attrs, 'keepdims', true)));
    },
    legalize(ctx: LegalizeCtx) {
      const x = ctx.args[0] as TensorInfo, o = ctx.out as TensorInfo;
      const rank = x.shape.length, dt = x.dtype;
      const axes = axesAttr(name, ctx.attrs, rank);
      const keep = boolAttr(ctx.attrs, 'keepdims', true);
      const A = buffer('A', dt, x.shape), T = buffer(`T_${name}`, dt, o.shape);
      const K = axes.map((a) => x.shape[a]!);
      const n = K.reduce<Expr>((p, d) => mul(p, d), int(1));
      const inIdx = (v: readonly Expr[], r: readonly Expr[]) => reducedInputIndex(rank, axes, keep, v, r);
      const empty = K.some((d) => d.k === 'int' && d.value === 0);
      // max/min start from the first reduced element: no ±inf literal in kernels (WGSL cannot write them as constants).
      const firstElem = (v: readonly Expr[]): Expr => at(A, inIdx(v, K.map(() => int(0))));
      const pattern: OpPattern = 'comm_reduce';
      if (axes.length === 0) {
        return primFunc(ctx.name, [A], [T], [compute(T, (v) => at(A, v))], { pattern: 'elementwise' });
      }
      const comb = combinerFor(kind, dt);
      if (kind === 'log_sum_exp') {
        // Stable: m = max x; s = sum exp(x - m'); out = log(s) + m', with m' = 0 where m is ±inf (empty or all -inf).
        const M = buffer('T_lse_max', dt, o.shape), S = buffer('T_lse_sum', dt, o.shape);
        const shift = (m: Expr): Expr => select(call('isinf', [m], 'bool'), lit(0, dt), m);
        if (empty) return primFunc(ctx.name, [A], [T], [compute(T, () => lit(-Infinity, dt))], { pattern });
        const stages = [
          reduce(M, K, firstElem, (acc, e) => max(acc, e), (v, r) => at(A, inIdx(v, r))),
          reduce(S, K, lit(0, dt), (acc, e) => add(acc, e), (v, r) => call('exp', [sub(at(A, inIdx(v, r)), shift(at(M, v)))], dt)),
          compute(T, (v) => add(call('log', [at(S, v)], dt), shift(at(M, v)))),
        ];
        return primFunc(ctx.name, [A], [T], stages, { pattern, intermediates: [M, S] });
      }
      const spec = SPECS[kind];
      const identity = dt === 'bool' ? lit(comb === 'and' ? 1 : 0, dt) : spec.init(dt);
      if (empty) {
        const value = spec.finish ? spec.finish(identity, dt, n) : identity;
        return primFunc(ctx.name, [A], [T], [compute(T, () => value)], { pattern });
      }
      const selective = kind === 'max' || kind === 'min';
      const body = (target: typeof T) => reduce(target, K, identity, (acc, e) => bin(comb, acc, e), (v, r) => spec.term(at(A, inIdx(v, r)), dt));
      if (selective) {
        return primFunc(ctx.name, [A], [T], [reduce(T, K, firstElem, (acc, e) => bin(comb, acc, e), (v, r) => at(A, inIdx(v, r)))], { pattern });
      }
      if (!spec.finish) return primFunc(ctx.name, [A], [T], [body(T)], { pattern });
      const R = buffer(`T_${name}_acc`, dt, o.shape);
      const finish = spec.finish;
      return primFunc(ctx.name, [A], [T], [body(R), compute(T, (v) => finish(at(R, v), dt, n))], { pattern, intermediates: [R] });
    },
  };
}

/**
 * argmax / argmin along one axis as one block per output element that keeps the best index so far:
 * `idx = cmp(x[k], x[idx]) ? k : idx`, strict for the first best index, non-strict with select_last_index.
 */
function argOp(which: 'argmax' | 'argmin'): OpDef {
  const axisOf = (attrs: Attrs, rank: number) => normAxis(which, numAttr(attrs, 'axis', 0), rank);
  return {
    name: which,
    pattern: () => 'comm_reduce',
    infer(args, attrs) {
      expectArgs(which, args, 1);
      const x = tensorArg(which, args, 0);
      if (x.shape.length === 0) throw shapeError(`${which}: input must have rank >= 1`);
      const ax = axisOf(attrs, x.shape.length);
      const d = x.shape[ax]!;
      if (d.k === 'int' && d.value === 0) throw shapeError(`${which}: axis ${ax} has size 0 (no element to select)`);
      return tensor('int64', reducedShape(x.shape, [ax], boolAttr(attrs, 'keepdims', true)));
    },
    legalize(ctx) {
      const x = ctx.args[0] as TensorInfo, o = ctx.out as TensorInfo;
      const rank = x.shape.length, ax = axisOf(ctx.attrs, rank);
      const keep = boolAttr(ctx.attrs, 'keepdims', true), last = boolAttr(ctx.attrs, 'select_last_index', false);
      const A = buffer('A', x.dtype, x.shape), T = buffer(`T_${which}`, 'int64', o.shape);
      const op = which === 'argmax' ? (last ? 'ge' : 'gt') : (last ? 'le' : 'lt');
      const body = reduce(T, [x.shape[ax]!], int(0), (_acc, e) => e, (v, r) => {
        const cur = at(T, v);
        const xi = at(A, reducedInputIndex(rank, [ax], keep, v, r));
        const xb = at(A, reducedInputIndex(rank, [ax], keep, v, [cur]));
        return select(cmp(op, xi, xb), r[0]!, cur);
      });
      return primFunc(ctx.name, [A], [T], [body], { pattern: 'comm_reduce' });
    },
  };
}

export const REDUCE_OPS: readonly OpDef[] = [...REDUCE_KINDS.map(reduceOp), argOp('argmax'), argOp('argmin')];
