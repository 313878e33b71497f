/**
 * Small `rlx_*` inline helpers of the C-family printers (cpu C and CUDA C++): everything that needs more than one C
 * operator (floor division, NaN-propagating min/max, integer pow, guarded integer division, ...) and the 16-bit
 * float conversions (float16/bfloat16 are stored as 16-bit patterns and computed in float; stores round to
 * nearest even). Each helper is emitted once, only when used, in a fixed order, so the output is deterministic.
 *
 * Keys in the `used` set: `op:dtype` for typed helpers, `cvt:name` for conversions (see `useConversion`).
 */
import { isFloat, isSigned, type DType } from '../formats/dtype.js';

export type Dialect = 'c' | 'cuda';

export type HelperOp =
  | 'floordiv' | 'floormod' | 'truncdiv' | 'truncmod' | 'min' | 'max' | 'abs' | 'sign' | 'sigmoid' | 'isnan' | 'isinf' | 'pow';

/** Conversions between 16-bit floats and float/double. */
export type Conversion = 'bits' | 'f16_to_f32' | 'f32_to_f16' | 'f64_to_f16' | 'bf16_to_f32' | 'f32_to_bf16';

const C_TYPE: Partial<Record<DType, string>> = {
  float32: 'float', float64: 'double',
  int8: 'int8_t', int16: 'int16_t', int32: 'int32_t', int64: 'int64_t',
  uint8: 'uint8_t', uint16: 'uint16_t', uint32: 'uint32_t', uint64: 'uint64_t',
  bool: 'bool',
};

export const SUFFIX: Partial<Record<DType, string>> = {
  float32: 'f32', float64: 'f64', int8: 'i8', int16: 'i16', int32: 'i32', int64: 'i64',
  uint8: 'u8', uint16: 'u16', uint32: 'u32', uint64: 'u64', bool: 'bool',
};

const qualifier = (dialect: Dialect): string => (dialect === 'cuda' ? 'static __device__ __forceinline__' : 'static inline');

/** One helper function's source for `op` on values of `dtype` (never float16/bfloat16: those use float32's). */
export function helperSource(op: HelperOp, dtype: DType, dialect: Dialect): string {
  const q = qualifier(dialect);
  const t = C_TYPE[dtype]!;
  const name = `rlx_${op}_${SUFFIX[dtype]}`;
  const fl = isFloat(dtype);
  const signed = isSigned(dtype);
  const f = dtype === 'float32' ? 'f' : '';
  const one = fl ? (f ? '1.0f' : '1.0') : '1';
  const bin = (body: string): string => `${q} ${t} ${name}(${t} a, ${t} b) { ${body} }`;
  switch (op) {
    // Integer division and remainder are guarded: x / 0 and INT_MIN / -1 trap on common CPUs, and the kernels run
    // inside the host process. ONNX leaves these undefined; relax returns 0 (and -a for a / -1, wrapping).
    case 'floordiv':
      if (fl) return bin(`return floor${f}(a / b);`);
      if (!signed) return bin('return b == 0 ? 0 : a / b;');
      return bin(`if (b == 0) return 0; if (b == -1) return (${t})(0 - a); ${t} q = a / b; return (a % b != 0 && ((a < 0) != (b < 0))) ? (${t})(q - 1) : q;`);
    case 'floormod':
      // Remainder with the divisor's sign (Python/numpy `%`, ONNX Mod with fmod=0).
      if (fl) return bin(`${t} r = fmod${f}(a, b); return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;`);
      if (!signed) return bin('return b == 0 ? 0 : a % b;');
      return bin(`if (b == 0 || b == -1) return 0; ${t} r = a % b; return (r != 0 && ((r < 0) != (b < 0))) ? (${t})(r + b) : r;`);
    case 'truncdiv':
      if (fl) return bin(`return trunc${f}(a / b);`);
      if (!signed) return bin('return b == 0 ? 0 : a / b;');
      return bin(`return b == 0 ? 0 : (b == -1 ? (${t})(0 - a) : (${t})(a / b));`);
    case 'truncmod':
      // Remainder with the dividend's sign (C `%` and fmod, ONNX Mod with fmod=1).
      if (fl) return bin(`return fmod${f}(a, b);`);
      if (!signed) return bin('return b == 0 ? 0 : a % b;');
      return bin(`return (b == 0 || b == -1) ? 0 : (${t})(a % b);`);
    case 'min':
      // NaN-propagating for floats (like numpy/ONNX Min).
      return fl ? bin('return (a < b || a != a) ? a : b;') : bin('return a < b ? a : b;');
    case 'max':
      return fl ? bin('return (a > b || a != a) ? a : b;') : bin('return a > b ? a : b;');
    case 'abs':
      return fl ? `${q} ${t} ${name}(${t} a) { return fabs${f}(a); }`
        : signed ? `${q} ${t} ${name}(${t} a) { return a < 0 ? (${t})(0 - a) : a; }` : `${q} ${t} ${name}(${t} a) { return a; }`;
    case 'sign':
      // Keeps the sign of zero and NaN for floats.
      return fl ? `${q} ${t} ${name}(${t} a) { return a > 0 ? ${one} : (a < 0 ? -${one} : a); }`
        : `${q} ${t} ${name}(${t} a) { return (${t})((a > 0) - (a < 0)); }`;
    case 'sigmoid':
      return `${q} ${t} ${name}(${t} a) { return ${one} / (${one} + exp${f}(-a)); }`;
    case 'isnan':
      return `${q} bool ${name}(${t} a) { return a != a; }`;
    case 'isinf':
      return `${q} bool ${name}(${t} a) { return isinf(a) != 0; }`;
    case 'pow':
      if (fl) return bin(`return pow${f}(a, b);`);
      // Integer power by squaring; negative exponents give 0 except for bases 1 and -1 (numpy's integer power).
      return `${q} ${t} ${name}(${t} a, ${t} b) {\n` +
        (signed ? `  if (b < 0) return a == 1 ? 1 : (a == -1 ? ((b & 1) ? (${t})-1 : 1) : 0);\n` : '') +
        `  ${t} r = 1;\n  while (b) { if (b & 1) r = (${t})(r * a); a = (${t})(a * a); b >>= 1; }\n  return r;\n}`;
  }
}

/** Source of one conversion helper. */
function conversionSource(c: Conversion, dialect: Dialect): string {
  const q = qualifier(dialect);
  switch (c) {
    case 'bits':
      return dialect === 'cuda'
        ? `${q} uint32_t rlx_f32_bits(float f) { return __float_as_uint(f); }\n${q} float rlx_bits_f32(uint32_t u) { return __uint_as_float(u); }`
        : `${q} uint32_t rlx_f32_bits(float f) { union { float f; uint32_t u; } v; v.f = f; return v.u; }\n` +
          `${q} float rlx_bits_f32(uint32_t u) { union { float f; uint32_t u; } v; v.u = u; return v.f; }`;
    case 'f16_to_f32':
      if (dialect === 'cuda') return `${q} float rlx_f16_to_f32(uint16_t h) { float f; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h)); return f; }`;
      return `${q} float rlx_f16_to_f32(uint16_t h) {
  uint32_t s = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  if (e == 0) { float f = (float)m * 5.9604644775390625e-08f; return s ? -f : f; }
  return rlx_bits_f32(s | (e == 31 ? 0x7f800000u : (e + 112u) << 23) | (m << 13));
}`;
    case 'f32_to_f16':
      if (dialect === 'cuda') return `${q} uint16_t rlx_f32_to_f16(float f) { uint16_t h; asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f)); return h; }`;
      // Round to nearest even; overflow to inf; NaN to a quiet NaN of the same sign.
      return `${q} uint16_t rlx_f32_to_f16(float f) {
  uint32_t x = rlx_f32_bits(f), s = (x >> 16) & 0x8000u, a = x & 0x7fffffffu;
  if (a > 0x7f800000u) return (uint16_t)(s | 0x7e00u);
  if (a >= 0x477ff000u) return (uint16_t)(s | 0x7c00u);
  if (a < 0x38800000u) {
    uint32_t shift = 126u - (a >> 23), m = (a & 0x7fffffu) | 0x800000u;
    if (shift > 24u) return (uint16_t)s;
    uint32_t q = m >> shift, rem = m & ((1u << shift) - 1u), half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (q & 1u))) q++;
    return (uint16_t)(s | q);
  }
  a -= 0x38000000u;
  return (uint16_t)(s | ((a + 0xfffu + ((a >> 13) & 1u)) >> 13));
}`;
    case 'f64_to_f16':
      // Rounds a double directly (no double rounding through float).
      return `${q} uint16_t rlx_f64_to_f16(double v) {
  if (v != v) return (uint16_t)(signbit(v) ? 0xfe00u : 0x7e00u);
  uint16_t s = signbit(v) ? 0x8000u : 0u;
  double a = fabs(v);
  if (a >= 65520.0) return (uint16_t)(s | 0x7c00u);
  if (a < 6.103515625e-05) return (uint16_t)(s | (uint16_t)rint(a * 16777216.0));
  int e; double m = frexp(a, &e);
  double r = rint((m * 2.0 - 1.0) * 1024.0);
  if (r == 1024.0) { r = 0.0; e += 1; }
  return (uint16_t)(s | (uint16_t)((e + 14) << 10) | (uint16_t)r);
}`;
    case 'bf16_to_f32':
      return `${q} float rlx_bf16_to_f32(uint16_t h) { return rlx_bits_f32((uint32_t)h << 16); }`;
    case 'f32_to_bf16':
      return `${q} uint16_t rlx_f32_to_bf16(float f) {
  uint32_t x = rlx_f32_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40u);
  return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}`;
  }
}

const CONVERSION_ORDER: readonly Conversion[] = ['bits', 'f16_to_f32', 'f32_to_f16', 'f64_to_f16', 'bf16_to_f32', 'f32_to_bf16'];
const NEEDS_BITS: ReadonlySet<Conversion> = new Set(['f16_to_f32', 'f32_to_f16', 'bf16_to_f32', 'f32_to_bf16']);

/** Records conversion `c` (and what it builds on) in `used`; returns the helper's name. */
export function useConversion(used: Set<string>, c: Conversion): string {
  used.add(`cvt:${c}`);
  if (NEEDS_BITS.has(c)) used.add('cvt:bits');
  return `rlx_${c}`;
}

const HELPER_ORDER: readonly HelperOp[] = [
  'floordiv', 'floormod', 'truncdiv', 'truncmod', 'min', 'max', 'abs', 'sign', 'sigmoid', 'isnan', 'isinf', 'pow',
];
const DTYPE_ORDER: readonly DType[] = ['bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'float32', 'float64'];

/** Source of the helpers recorded in `used`, in a fixed order (conversions first). */
export function helperPrelude(used: ReadonlySet<string>, dialect: Dialect): string[] {
  const lines: string[] = [];
  for (const c of CONVERSION_ORDER) if (used.has(`cvt:${c}`)) lines.push(conversionSource(c, dialect));
  for (const op of HELPER_ORDER) {
    for (const dt of DTYPE_ORDER) {
      if (used.has(`${op}:${dt}`)) lines.push(helperSource(op, dt, dialect));
    }
  }
  return lines;
}
