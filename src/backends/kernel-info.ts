/** PrimFunc → KernelInfo (the manifest's description of a kernel), shared by every backend. */
import { RelaxError, withLocation } from '../diagnostics/index.js';
import type { KernelInfo, KernelParam } from '../formats/manifest.js';
import type { ShapeExpr, ShapeOp } from '../formats/vm.js';
import type { Expr, PrimFunc, Stmt } from '../compiler/tir/types.js';

const SHAPE_OPS: Partial<Record<string, ShapeOp>> = {
  add: '+', sub: '-', mul: '*', floordiv: 'floordiv', floormod: 'floormod', min: 'min', max: 'max',
};

/** Converts an integer TIR expression over symbolic vars to a ShapeExpr the runtime can evaluate. */
export function toShapeExpr(e: Expr): ShapeExpr {
  switch (e.k) {
    case 'int': return e.value;
    case 'var': return e.name;
    case 'cast':
      if (e.dtype.startsWith('int') || e.dtype.startsWith('uint')) return toShapeExpr(e.a);
      break;
    case 'bin': {
      const op = SHAPE_OPS[e.op];
      if (op) return [op, toShapeExpr(e.a), toShapeExpr(e.b)];
      break;
    }
    default: break;
  }
  throw new RelaxError('RLX_CODEGEN_BAD_SHAPE_EXPR',
    `expression of kind '${e.k}${e.k === 'bin' ? ` ${e.op}` : ''}' cannot be evaluated by the runtime as a shape`,
    undefined, 'Launch extents and symbolic dims may only use +, -, *, floordiv, floormod, min and max over shape variables.');
}

function visitExpr(e: Expr, onLoad: (buffer: string) => void): void {
  switch (e.k) {
    case 'load': onLoad(e.buffer); for (const i of e.indices) visitExpr(i, onLoad); break;
    case 'bin': case 'cmp': visitExpr(e.a, onLoad); visitExpr(e.b, onLoad); break;
    case 'call': for (const a of e.args) visitExpr(a, onLoad); break;
    case 'select': visitExpr(e.cond, onLoad); visitExpr(e.t, onLoad); visitExpr(e.f, onLoad); break;
    case 'cast': visitExpr(e.a, onLoad); break;
    default: break;
  }
}

/** Which global buffers a function loads from and stores to (allocations that shadow a param are skipped). */
export function bufferAccesses(fn: PrimFunc): { loaded: Set<string>; stored: Set<string> } {
  const loaded = new Set<string>(), stored = new Set<string>();
  const walk = (s: Stmt, shadow: ReadonlySet<string>): void => {
    const load = (b: string) => { if (!shadow.has(b)) loaded.add(b); };
    const ex = (e: Expr) => visitExpr(e, load);
    switch (s.k) {
      case 'seq': for (const b of s.body) walk(b, shadow); break;
      case 'for': ex(s.extent); walk(s.body, shadow); break;
      case 'block':
        for (const b of s.bindings) ex(b);
        for (const it of s.iters) ex(it.extent);
        if (s.predicate) ex(s.predicate);
        if (s.init) walk(s.init, shadow);
        walk(s.body, shadow);
        break;
      case 'store':
        if (!shadow.has(s.buffer)) stored.add(s.buffer);
        for (const i of s.indices) ex(i);
        ex(s.value);
        break;
      case 'if': ex(s.cond); walk(s.then, shadow); if (s.else) walk(s.else, shadow); break;
      case 'let': ex(s.value); walk(s.body, shadow); break;
      case 'alloc': walk(s.body, new Set([...shadow, s.buffer.name])); break;
      case 'barrier': break;
    }
  };
  walk(fn.body, new Set());
  return { loaded, stored };
}

/** A param is 'write' if stored to and never loaded, 'readwrite' if both, 'read' otherwise. */
export function paramAccess(fn: PrimFunc): KernelParam['access'][] {
  const { loaded, stored } = bufferAccesses(fn);
  return fn.params.map((p) => (stored.has(p.name) ? (loaded.has(p.name) ? 'readwrite' : 'write') : 'read'));
}

export function kernelInfo(fn: PrimFunc): KernelInfo {
  return withLocation({ kernel: fn.name }, () => buildKernelInfo(fn));
}

function buildKernelInfo(fn: PrimFunc): KernelInfo {
  const access = paramAccess(fn);
  const a = fn.attrs;
  return {
    name: fn.name,
    params: fn.params.map((p, i) => ({ name: p.name, dtype: p.dtype, access: access[i]! })),
    vars: [...fn.vars],
    ...(a.launch ? { launch: { grid: a.launch.grid.map((g) => toShapeExpr(g)), block: [...a.launch.block] } } : {}),
    ...(a.scheduledBy !== undefined ? { scheduledBy: a.scheduledBy } : {}),
    ...(a.origin ? { origin: [...a.origin] } : {}),
  };
}
