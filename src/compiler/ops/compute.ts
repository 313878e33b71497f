/**
 * A small TE-like helper for writing legalizations: `compute` builds a loop nest with one block computing a
 * whole buffer, `reduce` builds one with reduce iteration variables and an `init`, `primFunc` assembles
 * params, intermediate buffers (`alloc`) and stages into a PrimFunc in TVM's style.
 */
import { freeVars, int, ivar, load } from '../tir/expr.js';
import type { Buffer, DType, Expr, IterVar, OpPattern, PrimFunc, PrimFuncAttrs, Scope, Stmt } from '../tir/types.js';

export function buffer(name: string, dtype: DType, shape: readonly Expr[], scope: Scope = 'global'): Buffer {
  return { name, dtype, shape, scope };
}

/** Loads `b` at `idx`. */
export const at = (b: Buffer, idx: readonly Expr[]): Expr => load(b.name, idx, b.dtype);

/** A literal of the given dtype. */
export function lit(v: number, dtype: DType): Expr {
  if (dtype === 'bool') return int(v ? 1 : 0, 'bool');
  if (dtype.startsWith('float') || dtype === 'bfloat16') return { k: 'float', value: v, dtype };
  return int(v, dtype);
}

/** Smallest / largest finite value of a dtype (reduction identities that every backend can print). */
export function minValue(dtype: DType): Expr {
  switch (dtype) {
    case 'float32': return lit(-3.4028234663852886e38, dtype);
    case 'float64': return lit(-1.7976931348623157e308, dtype);
    case 'float16': return lit(-65504, dtype);
    case 'bfloat16': return lit(-3.3895313892515355e38, dtype);
    case 'bool': case 'uint8': case 'uint16': case 'uint32': case 'uint64': return lit(0, dtype);
    case 'int8': return lit(-128, dtype);
    case 'int16': return lit(-32768, dtype);
    case 'int32': return lit(-2147483648, dtype);
    case 'int64': return lit(-9007199254740991, dtype);
  }
}

interface NestOpts {
  /** Block name (defaults to the output buffer's name). */
  readonly block?: string;
}

function spatialIters(shape: readonly Expr[]): { loops: string[]; iters: IterVar[]; vars: Expr[] } {
  const loops = shape.map((_, i) => `ax${i}`);
  const iters = shape.map((d, i): IterVar => ({ name: `v_ax${i}`, extent: d, type: 'spatial' }));
  return { loops, iters, vars: iters.map((it) => ivar(it.name)) };
}

function nest(loops: readonly string[], extents: readonly Expr[], body: Stmt): Stmt {
  let s = body;
  for (let i = loops.length - 1; i >= 0; i--) s = { k: 'for', var: loops[i]!, extent: extents[i]!, kind: 'serial', body: s };
  return s;
}

/** `out[v] = fn(v)` over the whole output. */
export function compute(out: Buffer, fn: (v: readonly Expr[]) => Expr, opts: NestOpts = {}): Stmt {
  const { loops, iters, vars } = spatialIters(out.shape);
  const block: Stmt = {
    k: 'block', name: opts.block ?? out.name, iters, bindings: loops.map((l) => ivar(l)),
    body: { k: 'store', buffer: out.name, indices: vars, value: fn(vars) },
  };
  return nest(loops, out.shape, block);
}

/** `out[v] = combine(out[v], fn(v, r))` for r over `rExtents`, starting from `init` (a value, or one per output point). */
export function reduce(
  out: Buffer, rExtents: readonly Expr[], init: Expr | ((v: readonly Expr[]) => Expr),
  combine: (acc: Expr, x: Expr) => Expr, fn: (v: readonly Expr[], r: readonly Expr[]) => Expr, opts: NestOpts = {},
): Stmt {
  const sp = spatialIters(out.shape);
  const rLoops = rExtents.map((_, i) => `k${i}`);
  const rIters = rExtents.map((d, i): IterVar => ({ name: `v_k${i}`, extent: d, type: 'reduce' }));
  const rVars = rIters.map((it) => ivar(it.name));
  const block: Stmt = {
    k: 'block', name: opts.block ?? out.name, iters: [...sp.iters, ...rIters],
    bindings: [...sp.loops, ...rLoops].map((l) => ivar(l)),
    init: { k: 'store', buffer: out.name, indices: sp.vars, value: typeof init === 'function' ? init(sp.vars) : init },
    body: { k: 'store', buffer: out.name, indices: sp.vars, value: combine(at(out, sp.vars), fn(sp.vars, rVars)) },
  };
  return nest([...sp.loops, ...rLoops], [...out.shape, ...rExtents], block);
}

/** Sorted symbolic variables used in the shapes of `bufs`. */
export function shapeVars(bufs: readonly Buffer[]): string[] {
  const out: string[] = [];
  for (const b of bufs) for (const d of b.shape) freeVars(d, out);
  return [...new Set(out)].sort();
}

/** Assembles a PrimFunc: params = inputs then outputs; intermediates are allocated around the stages. */
export function primFunc(
  name: string, inputs: readonly Buffer[], outputs: readonly Buffer[], stages: readonly Stmt[],
  opts: { pattern: OpPattern; intermediates?: readonly Buffer[]; attrs?: PrimFuncAttrs },
): PrimFunc {
  let body: Stmt = stages.length === 1 ? stages[0]! : { k: 'seq', body: stages };
  const inter = opts.intermediates ?? [];
  for (let i = inter.length - 1; i >= 0; i--) body = { k: 'alloc', buffer: inter[i]!, body };
  const params = [...inputs, ...outputs];
  return { k: 'prim_func', name, params, vars: shapeVars(params), body, attrs: { ...opts.attrs, pattern: opts.pattern } };
}
