/**
 * Reference interpreter for TIR. Runs every loop kind serially and honours block semantics (bindings,
 * predicate, init on the first reduce iteration), alloc, if, let, select, cast and the math intrinsics.
 * Values are JS numbers (int64 via Number, so exact up to 2^53). float16/bfloat16 values compute in float32
 * and round to nearest even on store and cast, like the C-like backends; narrower integers wrap after every op.
 * Slow but simple and exact enough to check every kernel the compiler builds; FoldConstant uses it on small
 * constant subgraphs.
 *
 * The function is compiled once into closures (variables and buffers resolved to slots), then run.
 */
import type { DType } from '../../formats/dtype.js';
import { halfToFloat, numel, type HostTensor } from '../../formats/tensor.js';
import type { Buffer, Expr, MathFn, PrimFunc, Stmt } from './types.js';

type Num = () => number;
type Run = () => void;

interface BufState {
  readonly dims: number[];
  get(i: number): number;
  set(i: number, v: number): void;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function floatToHalf(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const s = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a >= 65520) return s | 0x7c00;
  if (a < 2 ** -14) return s | roundHalfEven(a / 2 ** -24); // subnormal (may round up to the smallest normal)
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  if (2 ** (e + 1) <= a) e += 1;
  let r = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (r === 1024) { r = 0; e += 1; }
  if (e > 15) return s | 0x7c00;
  return s | ((e + 15) << 10) | r;
}

function floatToBf16(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  if (Number.isNaN(v)) return 0x7fc0;
  const rounded = x + 0x7fff + ((x >> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}
function bf16ToFloat(h: number): number {
  u32[0] = h << 16;
  return f32[0]!;
}

/** Rounds/wraps a number to what a value of `dtype` can hold. */
export function normalize(dtype: DType, v: number): number {
  switch (dtype) {
    case 'float32': return Math.fround(v);
    case 'float64': return v;
    case 'float16': return halfToFloat(floatToHalf(v));
    case 'bfloat16': return bf16ToFloat(floatToBf16(v));
    case 'bool': return v !== 0 && !Number.isNaN(v) ? 1 : 0;
    case 'int8': return (Math.trunc(v) << 24) >> 24;
    case 'int16': return (Math.trunc(v) << 16) >> 16;
    case 'int32': return Number.isFinite(v) ? Number(BigInt.asIntN(32, BigInt(Math.trunc(v)))) : 0;
    case 'uint8': return Math.trunc(v) & 0xff;
    case 'uint16': return Math.trunc(v) & 0xffff;
    case 'uint32': return Number.isFinite(v) ? Number(BigInt.asUintN(32, BigInt(Math.trunc(v)))) : 0;
    case 'int64': case 'uint64': return Number.isFinite(v) ? Math.trunc(v) : 0;
  }
}

function makeBuffer(dtype: DType, dims: number[], data: Uint8Array, name: string): BufState {
  const n = numel(dims);
  const need = n * ({ float16: 2, bfloat16: 2, float32: 4, float64: 8, int8: 1, int16: 2, int32: 4, int64: 8, uint8: 1, uint16: 2, uint32: 4, uint64: 8, bool: 1 } as const)[dtype];
  if (data.byteLength !== need) throw new Error(`interpret: buffer '${name}' ${dtype}[${dims.join(',')}] needs ${need} bytes, got ${data.byteLength}`);
  const b = data.buffer, o = data.byteOffset;
  const dv = new DataView(b, o, data.byteLength);
  switch (dtype) {
    case 'float32': return { dims, get: (i) => dv.getFloat32(i * 4, true), set: (i, v) => dv.setFloat32(i * 4, v, true) };
    case 'float64': return { dims, get: (i) => dv.getFloat64(i * 8, true), set: (i, v) => dv.setFloat64(i * 8, v, true) };
    case 'float16': return { dims, get: (i) => halfToFloat(dv.getUint16(i * 2, true)), set: (i, v) => dv.setUint16(i * 2, floatToHalf(v), true) };
    case 'bfloat16': return { dims, get: (i) => bf16ToFloat(dv.getUint16(i * 2, true)), set: (i, v) => dv.setUint16(i * 2, floatToBf16(v), true) };
    case 'int8': return { dims, get: (i) => dv.getInt8(i), set: (i, v) => dv.setInt8(i, normalize('int8', v)) };
    case 'uint8': return { dims, get: (i) => dv.getUint8(i), set: (i, v) => dv.setUint8(i, normalize('uint8', v)) };
    case 'bool': return { dims, get: (i) => dv.getUint8(i), set: (i, v) => dv.setUint8(i, normalize('bool', v)) };
    case 'int16': return { dims, get: (i) => dv.getInt16(i * 2, true), set: (i, v) => dv.setInt16(i * 2, normalize('int16', v), true) };
    case 'uint16': return { dims, get: (i) => dv.getUint16(i * 2, true), set: (i, v) => dv.setUint16(i * 2, normalize('uint16', v), true) };
    case 'int32': return { dims, get: (i) => dv.getInt32(i * 4, true), set: (i, v) => dv.setInt32(i * 4, normalize('int32', v), true) };
    case 'uint32': return { dims, get: (i) => dv.getUint32(i * 4, true), set: (i, v) => dv.setUint32(i * 4, normalize('uint32', v), true) };
    case 'int64': return { dims, get: (i) => Number(dv.getBigInt64(i * 8, true)), set: (i, v) => dv.setBigInt64(i * 8, BigInt(normalize('int64', v)), true) };
    case 'uint64': return { dims, get: (i) => Number(dv.getBigUint64(i * 8, true)), set: (i, v) => dv.setBigUint64(i * 8, BigInt.asUintN(64, BigInt(normalize('uint64', v))), true) };
  }
}

const MATH: Record<MathFn, (x: number) => number> = {
  exp: Math.exp, log: Math.log, sqrt: Math.sqrt, rsqrt: (x) => 1 / Math.sqrt(x), tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)), erf, abs: Math.abs, neg: (x) => -x, not: (x) => (x ? 0 : 1),
  floor: Math.floor, ceil: Math.ceil, round: roundHalfEven, sin: Math.sin, cos: Math.cos, tan: Math.tan,
  asin: Math.asin, acos: Math.acos, atan: Math.atan, sinh: Math.sinh, cosh: Math.cosh, asinh: Math.asinh,
  acosh: Math.acosh, atanh: Math.atanh, isnan: (x) => (Number.isNaN(x) ? 1 : 0),
  isinf: (x) => (x === Infinity || x === -Infinity ? 1 : 0), sign: (x) => (Number.isNaN(x) ? x : Math.sign(x)),
  reciprocal: (x) => 1 / x,
};

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** erf with ~1e-15 accuracy (series for small |x|, continued fraction via erfc otherwise). */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let sum = x, term = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction (Lentz)
  let f = ax, c = ax, d = 0;
  for (let n = 1; n < 300; n++) {
    const an = n / 2;
    d = ax + an * d; d = 1 / d;
    c = ax + an / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x < 0 ? erfc - 1 : 1 - erfc;
}

class Compiler {
  regs: number[] = [];
  bufs: (BufState | undefined)[] = [];
  nreg = 0;
  nbuf = 0;

  expr(e: Expr, vars: ReadonlyMap<string, number>, bufs: ReadonlyMap<string, number>): Num {
    const regs = this.regs;
    // float16/bfloat16 compute in float32 and round to 16 bits on store or cast, as the C-like backends do.
    const norm = (dt: DType, f: Num): Num => (dt === 'float64' || dt === 'int64' ? f
      : dt === 'float16' || dt === 'bfloat16' ? () => Math.fround(f()) : () => normalize(dt, f()));
    switch (e.k) {
      case 'int': { const v = e.value; return () => v; }
      case 'float': { const v = e.dtype === 'float64' ? e.value : Math.fround(e.value); return () => v; }
      case 'var': {
        const s = vars.get(e.name);
        if (s === undefined) throw new Error(`interpret: unbound variable '${e.name}'`);
        return () => regs[s]!;
      }
      case 'bin': {
        const a = this.expr(e.a, vars, bufs), b = this.expr(e.b, vars, bufs);
        const dt = e.dtype;
        const isF = dt.startsWith('float') || dt === 'bfloat16';
        const big = dt === 'int64' || dt === 'uint64';
        switch (e.op) {
          case 'add': return norm(dt, () => a() + b());
          case 'sub': return norm(dt, () => a() - b());
          case 'mul':
            if (dt === 'int32' || dt === 'uint32') return norm(dt, () => Math.imul(a(), b()));
            return norm(dt, () => a() * b());
          case 'div':
            if (isF) return norm(dt, () => a() / b());
            return norm(dt, () => { const y = b(); return y === 0 ? 0 : Math.trunc(a() / y); });
          case 'floordiv': return norm(dt, () => { const y = b(); return isF ? Math.floor(a() / y) : y === 0 ? 0 : Math.floor(a() / y); });
          case 'floormod': return norm(dt, () => {
            const x = a(), y = b();
            if (!isF && y === 0) return 0;
            const r = x % y; // JS % is the exact truncated remainder, for floats too
            return r !== 0 && (r < 0) !== (y < 0) ? r + y : r;
          });
          case 'truncmod': return norm(dt, () => { const x = a(), y = b(); return !isF && y === 0 ? 0 : x % y; });
          case 'min': return () => Math.min(a(), b());
          case 'max': return () => Math.max(a(), b());
          case 'pow': return norm(dt, () => Math.pow(a(), b()));
          case 'and': if (dt === 'bool') return () => (a() && b() ? 1 : 0);
            return big ? () => Number(BigInt(a()) & BigInt(b())) : norm(dt, () => a() & b());
          case 'or': if (dt === 'bool') return () => (a() || b() ? 1 : 0);
            return big ? () => Number(BigInt(a()) | BigInt(b())) : norm(dt, () => a() | b());
          case 'xor': if (dt === 'bool') return () => ((a() ? 1 : 0) ^ (b() ? 1 : 0));
            return big ? () => Number(BigInt(a()) ^ BigInt(b())) : norm(dt, () => a() ^ b());
          case 'shl': return big ? () => Number(BigInt.asIntN(64, BigInt(a()) << BigInt(b()))) : norm(dt, () => a() << b());
          case 'shr': return big ? () => Number(BigInt(a()) >> BigInt(b())) : dt.startsWith('u') ? norm(dt, () => a() >>> b()) : norm(dt, () => a() >> b());
        }
        break;
      }
      case 'cmp': {
        const a = this.expr(e.a, vars, bufs), b = this.expr(e.b, vars, bufs);
        switch (e.op) {
          case 'eq': return () => (a() === b() ? 1 : 0);
          case 'ne': return () => (a() !== b() ? 1 : 0);
          case 'lt': return () => (a() < b() ? 1 : 0);
          case 'le': return () => (a() <= b() ? 1 : 0);
          case 'gt': return () => (a() > b() ? 1 : 0);
          case 'ge': return () => (a() >= b() ? 1 : 0);
        }
        break;
      }
      case 'call': {
        if (e.fn === 'not' && e.dtype !== 'bool') { // bitwise on integers
          const x = this.expr(e.args[0]!, vars, bufs);
          return e.dtype === 'int64' || e.dtype === 'uint64' ? () => normalize(e.dtype, Number(~BigInt(x()))) : norm(e.dtype, () => ~x());
        }
        const f = MATH[e.fn];
        if (!f) throw new Error(`interpret: unknown math function '${e.fn}'`);
        const x = this.expr(e.args[0]!, vars, bufs);
        return norm(e.dtype, () => f(x()));
      }
      case 'select': {
        const c = this.expr(e.cond, vars, bufs), t = this.expr(e.t, vars, bufs), f = this.expr(e.f, vars, bufs);
        return () => (c() ? t() : f());
      }
      case 'cast': {
        const a = this.expr(e.a, vars, bufs);
        const dt = e.dtype;
        if (dt === 'bool') return () => (a() !== 0 ? 1 : 0); // NaN is true, as in C and numpy
        if (dt.startsWith('float') || dt === 'bfloat16') return dt === 'float16' || dt === 'bfloat16' ? () => normalize(dt, a()) : norm(dt, a);
        return () => normalize(dt, Math.trunc(a()));
      }
      case 'load': {
        const idx = this.index(e.buffer, e.indices, vars, bufs);
        const slot = bufs.get(e.buffer)!;
        const all = this.bufs;
        return () => all[slot]!.get(idx());
      }
    }
    throw new Error(`interpret: cannot evaluate expression of kind ${(e as Expr).k}`);
  }

  /** Flat index with a bounds check on every dimension. */
  index(name: string, indices: readonly Expr[], vars: ReadonlyMap<string, number>, bufs: ReadonlyMap<string, number>): Num {
    const slot = bufs.get(name);
    if (slot === undefined) throw new Error(`interpret: unknown buffer '${name}'`);
    const idx = indices.map((i) => this.expr(i, vars, bufs));
    const all = this.bufs;
    return () => {
      const b = all[slot]!;
      const dims = b.dims;
      if (dims.length !== idx.length) throw new Error(`interpret: buffer '${name}' has rank ${dims.length}, accessed with ${idx.length} indices`);
      let flat = 0;
      for (let d = 0; d < idx.length; d++) {
        const v = idx[d]!();
        if (!(v >= 0 && v < dims[d]!)) throw new Error(`interpret: index ${v} out of bounds for dim ${d} (extent ${dims[d]}) of buffer '${name}'`);
        flat = flat * dims[d]! + v;
      }
      return flat;
    };
  }

  newReg(): number { return this.nreg++; }

  stmt(s: Stmt, vars: ReadonlyMap<string, number>, bufs: ReadonlyMap<string, number>): Run {
    const regs = this.regs;
    switch (s.k) {
      case 'seq': {
        const parts = s.body.map((b) => this.stmt(b, vars, bufs));
        return () => { for (const p of parts) p(); };
      }
      case 'for': {
        const ext = this.expr(s.extent, vars, bufs);
        const r = this.newReg();
        const body = this.stmt(s.body, new Map(vars).set(s.var, r), bufs);
        return () => { const n = ext(); for (let i = 0; i < n; i++) { regs[r] = i; body(); } };
      }
      case 'block': {
        const binds = s.bindings.map((b) => this.expr(b, vars, bufs));
        const inner = new Map(vars);
        const slots = s.iters.map((it) => { const r = this.newReg(); inner.set(it.name, r); return r; });
        const exts = s.iters.map((it) => this.expr(it.extent, vars, bufs));
        const reduceSlots = slots.filter((_, i) => s.iters[i]!.type === 'reduce');
        const pred = s.predicate ? this.expr(s.predicate, inner, bufs) : undefined;
        const init = s.init ? this.stmt(s.init, inner, bufs) : undefined;
        const body = this.stmt(s.body, inner, bufs);
        const name = s.name;
        return () => {
          const vals = binds.map((b) => b());
          for (let i = 0; i < slots.length; i++) regs[slots[i]!] = vals[i]!;
          if (pred && !pred()) return;
          for (let i = 0; i < slots.length; i++) {
            const v = vals[i]!, n = exts[i]!();
            if (!(v >= 0 && v < n)) throw new Error(`interpret: block '${name}' iter ${s.iters[i]!.name}=${v} outside [0, ${n})`);
          }
          if (init && reduceSlots.every((r) => regs[r] === 0)) init();
          body();
        };
      }
      case 'store': {
        const idx = this.index(s.buffer, s.indices, vars, bufs);
        const val = this.expr(s.value, vars, bufs);
        const slot = bufs.get(s.buffer)!;
        const all = this.bufs;
        return () => { const i = idx(); all[slot]!.set(i, val()); };
      }
      case 'if': {
        const c = this.expr(s.cond, vars, bufs);
        const t = this.stmt(s.then, vars, bufs);
        const e = s.else ? this.stmt(s.else, vars, bufs) : undefined;
        return () => { if (c()) t(); else if (e) e(); };
      }
      case 'let': {
        const v = this.expr(s.value, vars, bufs);
        const r = this.newReg();
        const body = this.stmt(s.body, new Map(vars).set(s.var, r), bufs);
        return () => { regs[r] = v(); body(); };
      }
      case 'alloc': {
        const b = s.buffer;
        const dims = b.shape.map((d) => this.expr(d, vars, bufs));
        const slot = this.nbuf++;
        const body = this.stmt(s.body, vars, new Map(bufs).set(b.name, slot));
        const all = this.bufs;
        return () => {
          const ds = dims.map((d) => d());
          const bytes = new Uint8Array(Math.max(0, numel(ds)) * bytesOf(b.dtype));
          const prev = all[slot];
          all[slot] = makeBuffer(b.dtype, ds, bytes, b.name);
          body();
          all[slot] = prev;
        };
      }
      case 'barrier': return () => {};
    }
  }
}

function bytesOf(d: DType): number {
  return d === 'float64' || d === 'int64' || d === 'uint64' ? 8 : d === 'float32' || d === 'int32' || d === 'uint32' ? 4 : d === 'int8' || d === 'uint8' || d === 'bool' ? 1 : 2;
}

/** Evaluates an int64 shape expression with the given symbolic variables. */
export function evalIntExpr(e: Expr, vars: Readonly<Record<string, number>>): number {
  const c = new Compiler();
  const map = new Map<string, number>();
  for (const [k, v] of Object.entries(vars)) { map.set(k, c.nreg); c.regs[c.nreg++] = v; }
  return c.expr(e, map, new Map())();
}

/**
 * Runs `f` on `args` (inputs then outputs, one per param; outputs are written in place). `vars` gives the
 * symbolic shape variables; any that are missing but appear as a whole dimension of a param are taken from
 * the argument shapes.
 */
export function interpretPrimFunc(f: PrimFunc, args: HostTensor[], vars: Readonly<Record<string, number>> = {}): void {
  if (args.length !== f.params.length) throw new Error(`interpret: ${f.name} takes ${f.params.length} buffers, got ${args.length}`);
  const env: Record<string, number> = { ...vars };
  f.params.forEach((p, i) => p.shape.forEach((d, j) => {
    if (d.k === 'var' && env[d.name] === undefined && args[i]!.shape[j] !== undefined) env[d.name] = args[i]!.shape[j]!;
  }));
  const c = new Compiler();
  const varSlots = new Map<string, number>();
  for (const [k, v] of Object.entries(env)) { varSlots.set(k, c.nreg); c.regs[c.nreg++] = v; }
  for (const v of f.vars) if (!varSlots.has(v)) throw new Error(`interpret: ${f.name} needs symbolic variable '${v}'`);
  const bufSlots = new Map<string, number>();
  f.params.forEach((p: Buffer, i) => {
    const t = args[i]!;
    if (t.dtype !== p.dtype) throw new Error(`interpret: ${f.name} param '${p.name}' is ${p.dtype}, got ${t.dtype}`);
    const dims = p.shape.map((d) => c.expr(d, varSlots, new Map())());
    if (dims.length !== t.shape.length || dims.some((d, j) => d !== t.shape[j])) {
      throw new Error(`interpret: ${f.name} param '${p.name}' has shape [${dims.join(',')}], got [${t.shape.join(',')}]`);
    }
    const slot = c.nbuf++;
    c.bufs[slot] = makeBuffer(p.dtype, dims, t.data, p.name);
    bufSlots.set(p.name, slot);
  });
  const run = c.stmt(f.body, varSlots, bufSlots);
  run();
}
