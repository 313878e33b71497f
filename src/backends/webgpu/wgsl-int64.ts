/**
 * WGSL helpers for emulated 64-bit integers. WGSL has no i64/u64: an int64/uint64 value is a `vec2<u32>`
 * (x = low word, y = high word), the same little-endian bytes as the host tensor, so int64 buffers are bound as
 * `array<vec2<u32>>` and need no conversion on upload or download. Signed helpers are `rlx_i64_*`, unsigned
 * ones `rlx_u64_*`; add, sub, mul, bitwise ops and shl are the same for both. Results are exact (two's complement,
 * wrapping like C). Division or remainder by zero gives 0, like the TIR interpreter.
 *
 * The codegen names helpers in the code it emits; ./wgsl-helpers.ts pulls in each one used (and those it calls).
 */
export const WGSL_INT64_HELPERS: Readonly<Record<string, string>> = {
  rlx_i64_from_i32: `fn rlx_i64_from_i32(a: i32) -> vec2<u32> {
  return vec2<u32>(bitcast<u32>(a), bitcast<u32>(a >> 31u));
}`,
  rlx_i64_add: `fn rlx_i64_add(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.x + b.x;
  return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}`,
  rlx_i64_sub: `fn rlx_i64_sub(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  return vec2<u32>(a.x - b.x, a.y - b.y - select(0u, 1u, a.x < b.x));
}`,
  rlx_i64_neg: `fn rlx_i64_neg(a: vec2<u32>) -> vec2<u32> {
  return rlx_i64_sub(vec2<u32>(0u, 0u), a);
}`,
  // Full 32 x 32 -> 64-bit unsigned product through 16-bit halves (WGSL has no mul-hi).
  rlx_u32_mul_wide: `fn rlx_u32_mul_wide(a: u32, b: u32) -> vec2<u32> {
  let a0 = a & 0xffffu;
  let a1 = a >> 16u;
  let b0 = b & 0xffffu;
  let b1 = b >> 16u;
  let p00 = a0 * b0;
  let p01 = a0 * b1;
  let p10 = a1 * b0;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  return vec2<u32>((p00 & 0xffffu) | (mid << 16u), a1 * b1 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u));
}`,
  rlx_i64_mul: `fn rlx_i64_mul(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let p = rlx_u32_mul_wide(a.x, b.x);
  return vec2<u32>(p.x, p.y + a.x * b.y + a.y * b.x);
}`,
  rlx_i64_eq: `fn rlx_i64_eq(a: vec2<u32>, b: vec2<u32>) -> bool {
  return a.x == b.x && a.y == b.y;
}`,
  rlx_u64_lt: `fn rlx_u64_lt(a: vec2<u32>, b: vec2<u32>) -> bool {
  return a.y < b.y || (a.y == b.y && a.x < b.x);
}`,
  rlx_i64_lt: `fn rlx_i64_lt(a: vec2<u32>, b: vec2<u32>) -> bool {
  let ah = bitcast<i32>(a.y);
  let bh = bitcast<i32>(b.y);
  return ah < bh || (ah == bh && a.x < b.x);
}`,
  rlx_i64_min: `fn rlx_i64_min(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  return select(b, a, rlx_i64_lt(a, b));
}`,
  rlx_i64_max: `fn rlx_i64_max(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  return select(b, a, rlx_i64_lt(b, a));
}`,
  rlx_u64_min: `fn rlx_u64_min(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  return select(b, a, rlx_u64_lt(a, b));
}`,
  rlx_u64_max: `fn rlx_u64_max(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  return select(b, a, rlx_u64_lt(b, a));
}`,
  rlx_i64_is_neg: `fn rlx_i64_is_neg(a: vec2<u32>) -> bool {
  return (a.y >> 31u) != 0u;
}`,
  rlx_i64_abs: `fn rlx_i64_abs(a: vec2<u32>) -> vec2<u32> {
  return select(a, rlx_i64_neg(a), rlx_i64_is_neg(a));
}`,
  rlx_i64_sign: `fn rlx_i64_sign(a: vec2<u32>) -> vec2<u32> {
  if (rlx_i64_is_neg(a)) { return vec2<u32>(0xffffffffu, 0xffffffffu); }
  return vec2<u32>(select(0u, 1u, a.x != 0u || a.y != 0u), 0u);
}`,
  // Shifts by n >= 64 give 0 (or the sign for an arithmetic right shift).
  rlx_i64_shl: `fn rlx_i64_shl(a: vec2<u32>, n: u32) -> vec2<u32> {
  if (n >= 64u) { return vec2<u32>(0u, 0u); }
  if (n >= 32u) { return vec2<u32>(0u, a.x << (n - 32u)); }
  if (n == 0u) { return a; }
  return vec2<u32>(a.x << n, (a.y << n) | (a.x >> (32u - n)));
}`,
  rlx_u64_shr: `fn rlx_u64_shr(a: vec2<u32>, n: u32) -> vec2<u32> {
  if (n >= 64u) { return vec2<u32>(0u, 0u); }
  if (n >= 32u) { return vec2<u32>(a.y >> (n - 32u), 0u); }
  if (n == 0u) { return a; }
  return vec2<u32>((a.x >> n) | (a.y << (32u - n)), a.y >> n);
}`,
  rlx_i64_shr: `fn rlx_i64_shr(a: vec2<u32>, n: u32) -> vec2<u32> {
  let hi = bitcast<i32>(a.y);
  let s = bitcast<u32>(hi >> 31u);
  if (n >= 64u) { return vec2<u32>(s, s); }
  if (n >= 32u) { return vec2<u32>(bitcast<u32>(hi >> (n - 32u)), s); }
  if (n == 0u) { return a; }
  return vec2<u32>((a.x >> n) | (a.y << (32u - n)), bitcast<u32>(hi >> n));
}`,
  // Unsigned quotient (xy) and remainder (zw) by restoring shift-subtract division; 32-bit fast path.
  rlx_u64_divmod: `fn rlx_u64_divmod(a: vec2<u32>, b: vec2<u32>) -> vec4<u32> {
  if (b.x == 0u && b.y == 0u) { return vec4<u32>(0u, 0u, 0u, 0u); }
  if (a.y == 0u && b.y == 0u) { return vec4<u32>(a.x / b.x, 0u, a.x % b.x, 0u); }
  var q = vec2<u32>(0u, 0u);
  var r = vec2<u32>(0u, 0u);
  for (var i: u32 = 64u; i > 0u; i = i - 1u) {
    let k = i - 1u;
    var bit: u32;
    if (k >= 32u) { bit = (a.y >> (k - 32u)) & 1u; } else { bit = (a.x >> k) & 1u; }
    let carry = r.y >> 31u;
    r = vec2<u32>((r.x << 1u) | bit, (r.y << 1u) | (r.x >> 31u));
    if (carry != 0u || !rlx_u64_lt(r, b)) {
      r = rlx_i64_sub(r, b);
      if (k >= 32u) { q.y = q.y | (1u << (k - 32u)); } else { q.x = q.x | (1u << k); }
    }
  }
  return vec4<u32>(q, r);
}`,
  rlx_u64_div: `fn rlx_u64_div(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  return rlx_u64_divmod(a, b).xy;
}`,
  rlx_u64_rem: `fn rlx_u64_rem(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  return rlx_u64_divmod(a, b).zw;
}`,
  // Signed division truncating towards zero; the remainder has the sign of the dividend.
  rlx_i64_div: `fn rlx_i64_div(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let q = rlx_u64_divmod(rlx_i64_abs(a), rlx_i64_abs(b)).xy;
  return select(q, rlx_i64_neg(q), rlx_i64_is_neg(a) != rlx_i64_is_neg(b));
}`,
  rlx_i64_rem: `fn rlx_i64_rem(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let r = rlx_u64_divmod(rlx_i64_abs(a), rlx_i64_abs(b)).zw;
  return select(r, rlx_i64_neg(r), rlx_i64_is_neg(a));
}`,
  // Division rounding towards -inf; the remainder has the sign of the divisor.
  rlx_i64_floordiv: `fn rlx_i64_floordiv(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let qr = rlx_u64_divmod(rlx_i64_abs(a), rlx_i64_abs(b));
  let neg = rlx_i64_is_neg(a) != rlx_i64_is_neg(b);
  if (!neg) { return qr.xy; }
  let q = rlx_i64_neg(qr.xy);
  return select(q, rlx_i64_sub(q, vec2<u32>(1u, 0u)), qr.z != 0u || qr.w != 0u);
}`,
  rlx_i64_floormod: `fn rlx_i64_floormod(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let r = rlx_i64_rem(a, b);
  if ((r.x == 0u && r.y == 0u) || rlx_i64_is_neg(r) == rlx_i64_is_neg(b)) { return r; }
  return rlx_i64_add(r, b);
}`,
  rlx_i64_pow: `fn rlx_i64_pow(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  if (rlx_i64_is_neg(b)) {
    if (a.x == 1u && a.y == 0u) { return a; }
    if (a.x == 0xffffffffu && a.y == 0xffffffffu) { return select(a, vec2<u32>(1u, 0u), (b.x & 1u) == 0u); }
    return vec2<u32>(0u, 0u);
  }
  var r = vec2<u32>(1u, 0u);
  var base = a;
  var e = b;
  loop {
    if (e.x == 0u && e.y == 0u) { break; }
    if ((e.x & 1u) == 1u) { r = rlx_i64_mul(r, base); }
    base = rlx_i64_mul(base, base);
    e = rlx_u64_shr(e, 1u);
  }
  return r;
}`,
  // u64 -> f32 rounding to nearest even, by integer ops (WGSL leaves the rounding of u32 -> f32 open).
  rlx_u64_to_f32: `fn rlx_u64_to_f32(a: vec2<u32>) -> f32 {
  if (a.y == 0u && a.x < 16777216u) { return f32(a.x); }
  let lz = select(countLeadingZeros(a.y), 32u + countLeadingZeros(a.x), a.y == 0u);
  let n = rlx_i64_shl(a, lz);
  var m = n.y >> 8u;
  let rest = n.y & 0xffu;
  let sticky = (rest & 0x7fu) != 0u || n.x != 0u;
  if ((rest & 0x80u) != 0u && (sticky || (m & 1u) == 1u)) { m = m + 1u; }
  var e = 63u - lz;
  if (m == 0x1000000u) { m = m >> 1u; e = e + 1u; }
  return bitcast<f32>(((e + 127u) << 23u) | (m & 0x7fffffu));
}`,
  rlx_i64_to_f32: `fn rlx_i64_to_f32(a: vec2<u32>) -> f32 {
  let f = rlx_u64_to_f32(rlx_i64_abs(a));
  return select(f, -f, rlx_i64_is_neg(a));
}`,
  // |x| truncated to an integer; x finite, below 2^64.
  rlx_f32_mag_u64: `fn rlx_f32_mag_u64(x: f32) -> vec2<u32> {
  let bits = bitcast<u32>(x) & 0x7fffffffu;
  let e = i32(bits >> 23u) - 127i;
  if (e < 0i) { return vec2<u32>(0u, 0u); }
  let m = (bits & 0x7fffffu) | 0x800000u;
  if (e <= 23i) { return vec2<u32>(m >> u32(23i - e), 0u); }
  return rlx_i64_shl(vec2<u32>(m, 0u), u32(e - 23i));
}`,
  // f32 -> int64 truncating towards zero; NaN gives 0, out of range saturates.
  rlx_f32_to_i64: `fn rlx_f32_to_i64(x: f32) -> vec2<u32> {
  let bits = bitcast<u32>(x);
  let a = bits & 0x7fffffffu;
  if (a > 0x7f800000u) { return vec2<u32>(0u, 0u); }
  if (a >= 0x5f000000u) { return select(vec2<u32>(0xffffffffu, 0x7fffffffu), vec2<u32>(0u, 0x80000000u), (bits >> 31u) != 0u); }
  let m = rlx_f32_mag_u64(x);
  return select(m, rlx_i64_neg(m), (bits >> 31u) != 0u);
}`,
  // f32 -> uint64 truncating; negative values wrap (as the interpreter's BigInt.asUintN does), NaN gives 0.
  rlx_f32_to_u64: `fn rlx_f32_to_u64(x: f32) -> vec2<u32> {
  let bits = bitcast<u32>(x);
  let a = bits & 0x7fffffffu;
  if (a > 0x7f800000u) { return vec2<u32>(0u, 0u); }
  if (a >= 0x5f800000u) { return select(vec2<u32>(0xffffffffu, 0xffffffffu), vec2<u32>(0u, 0u), (bits >> 31u) != 0u); }
  let m = rlx_f32_mag_u64(x);
  return select(m, rlx_i64_neg(m), (bits >> 31u) != 0u);
}`,
};
