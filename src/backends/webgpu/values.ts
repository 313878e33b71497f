/**
 * WGSL value code: literals, conversions between value types, and the emulated 64-bit integer operations
 * (./wgsl-int64.ts) and 16-bit float rounding (./wgsl-float16.ts). Pure string building; the codegen pulls in
 * every `rlx_*` helper the code names.
 */
import type { BinOp, CmpOp } from '../../compiler/tir/types.js';
import { isWide, type Ty } from './dtypes.js';

/**
 * A WGSL expression and its value type. `ix` marks index arithmetic: values built only from literals, loop and
 * block variables and symbolic dims. int64 index arithmetic stays in i32; int64 data is always i64/u64.
 */
export interface Code { readonly c: string; readonly ty: Ty; readonly ix?: boolean }

const I32_MIN = -2147483648, I32_MAX = 2147483647;

export function fitsI32(v: number): boolean {
  return Number.isInteger(v) && v >= I32_MIN && v <= I32_MAX;
}

/** The two u32 words (low, high) of a 64-bit integer literal, two's complement. */
export function words64(v: number): [number, number] {
  const b = BigInt.asUintN(64, BigInt(Math.trunc(Number.isFinite(v) ? v : 0)));
  return [Number(b & 0xffffffffn), Number(b >> 32n)];
}

export function intLit(v: number, ty: Ty): string {
  if (isWide(ty)) { const [lo, hi] = words64(v); return `vec2<u32>(${lo}u, ${hi}u)`; }
  if (ty === 'u32') return `${Math.max(0, Math.min(4294967295, Math.trunc(v)))}u`;
  if (ty === 'bool') return v !== 0 ? 'true' : 'false';
  if (ty === 'f32' || ty === 'f16') return floatLit(v, ty);
  const x = Math.max(I32_MIN, Math.min(I32_MAX, Math.trunc(v)));
  if (x === I32_MIN) return 'i32(-2147483647 - 1)';
  return x < 0 ? `(${x}i)` : `${x}i`;
}

export function floatLit(v: number, ty: Ty): string {
  if (ty === 'f16') return `f16(${floatLit(v, 'f32')})`;
  if (ty !== 'f32') return intLit(v, ty);
  const f = Math.fround(v);
  const bits = new Uint32Array(new Float32Array([f]).buffer)[0]!;
  const exp = (bits >>> 23) & 0xff;
  // inf, nan and subnormals go through their bit patterns so no compiler rounds or flushes them; inf and nan through
  // a helper call, since WGSL rejects a const-expression (such as a bitcast of a literal) whose value is inf or nan.
  if (exp === 0xff) return `rlx_f32_bits(0x${bits.toString(16)}u)`;
  if (exp === 0 && (bits & 0x7fffff) !== 0) return `bitcast<f32>(0x${bits.toString(16)}u)`;
  if (Object.is(f, -0)) return '(-0.0f)';
  // The shortest double that round-trips is exactly the f32 value, so parsing it back is exact.
  const s = String(Math.abs(f));
  return f < 0 ? `(-${s}f)` : `${s}f`;
}

export function zero(ty: Ty): string {
  switch (ty) {
    case 'bool': return 'false';
    case 'f32': return '0.0f';
    case 'f16': return '0.0h';
    case 'u32': return '0u';
    case 'i32': return '0i';
    case 'i64': case 'u64': return 'vec2<u32>(0u, 0u)';
  }
}

/** Converts a value to another value type (C semantics: ints wrap, floats truncate towards zero). */
export function conv(x: Code, to: Ty): Code {
  if (x.ty === to) return x;
  const ix = x.ix && to !== 'bool' && to !== 'f32' && to !== 'f16' ? { ix: true } : {};
  if (to === 'bool') {
    if (isWide(x.ty)) return { c: `any(${x.c} != vec2<u32>(0u, 0u))`, ty: 'bool' };
    return { c: `(${x.c} != ${zero(x.ty)})`, ty: 'bool' };
  }
  if (isWide(to)) {
    switch (x.ty) {
      case 'i64': case 'u64': return { c: x.c, ty: to, ...ix };
      case 'i32': {
        const lit = /^\(?(-?\d+)i\)?$/.exec(x.c);
        if (lit) return { c: intLit(Number(lit[1]), to), ty: to, ...ix };
        return { c: `rlx_i64_from_i32(${x.c})`, ty: to, ...ix };
      }
      case 'u32': return { c: `vec2<u32>(${x.c}, 0u)`, ty: to, ...ix };
      case 'bool': return { c: `vec2<u32>(select(0u, 1u, ${x.c}), 0u)`, ty: to };
      case 'f32': return { c: `rlx_f32_to_${to}(${x.c})`, ty: to };
      case 'f16': return { c: `rlx_f32_to_${to}(f32(${x.c}))`, ty: to };
    }
  }
  if (isWide(x.ty)) {
    switch (to) {
      case 'i32': return { c: `bitcast<i32>((${x.c}).x)`, ty: to, ...ix };
      case 'u32': return { c: `(${x.c}).x`, ty: to, ...ix };
      case 'f32': return { c: `rlx_${x.ty}_to_f32(${x.c})`, ty: to };
      case 'f16': return { c: `f16(rlx_${x.ty}_to_f32(${x.c}))`, ty: to };
    }
  }
  return { c: `${to}(${x.c})`, ty: to, ...ix };
}

/** Rounds an f32 value to the nearest float16 or bfloat16 value (emulated 16-bit floats). */
export function round16(x: Code, kind: 'f16' | 'bf16'): Code {
  return { c: `rlx_round_${kind}(${conv(x, 'f32').c})`, ty: 'f32' };
}

/** A binary op on two i64 (or two u64) values. */
export function wideBin(op: BinOp, a: Code, b: Code, ty: 'i64' | 'u64'): Code {
  const s = ty === 'i64' ? 'i64' : 'u64';
  const call = (fn: string) => ({ c: `${fn}(${a.c}, ${b.c})`, ty });
  switch (op) {
    case 'add': return call('rlx_i64_add');
    case 'sub': return call('rlx_i64_sub');
    case 'mul': return call('rlx_i64_mul');
    case 'div': return call(`rlx_${s}_div`);
    case 'floordiv': return call(ty === 'i64' ? 'rlx_i64_floordiv' : 'rlx_u64_div');
    case 'floormod': return call(ty === 'i64' ? 'rlx_i64_floormod' : 'rlx_u64_rem');
    case 'truncmod': return call(`rlx_${s}_rem`);
    case 'min': return call(`rlx_${s}_min`);
    case 'max': return call(`rlx_${s}_max`);
    case 'pow': return call('rlx_i64_pow');
    case 'and': return { c: `(${a.c} & ${b.c})`, ty };
    case 'or': return { c: `(${a.c} | ${b.c})`, ty };
    case 'xor': return { c: `(${a.c} ^ ${b.c})`, ty };
    case 'shl': return { c: `rlx_i64_shl(${a.c}, ${conv(b, 'u32').c})`, ty };
    case 'shr': return { c: `rlx_${s}_shr(${a.c}, ${conv(b, 'u32').c})`, ty };
  }
}

/** A comparison of two i64 (or two u64) values. */
export function wideCmp(op: CmpOp, a: Code, b: Code, ty: 'i64' | 'u64'): Code {
  const lt = `rlx_${ty}_lt`;
  const c = {
    eq: `rlx_i64_eq(${a.c}, ${b.c})`, ne: `(!rlx_i64_eq(${a.c}, ${b.c}))`,
    lt: `${lt}(${a.c}, ${b.c})`, gt: `${lt}(${b.c}, ${a.c})`,
    le: `(!${lt}(${b.c}, ${a.c}))`, ge: `(!${lt}(${a.c}, ${b.c}))`,
  }[op];
  return { c, ty: 'bool' };
}
