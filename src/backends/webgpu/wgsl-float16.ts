/**
 * WGSL helpers for 16-bit floats stored as bit patterns (float16 without the shader-f16 feature, and bfloat16,
 * which WGSL never has). Values are computed in f32; these helpers convert by integer ops only, so results do not
 * depend on how a driver rounds or flushes: f32 -> 16 bits rounds to nearest even (NaN stays NaN, overflow gives
 * inf), 16 bits -> f32 is exact (float16 subnormals included). Rounding each f32 result of one add, sub, mul, div
 * or sqrt gives the correctly rounded 16-bit result, so emulated arithmetic matches native half arithmetic.
 */
export const WGSL_FLOAT16_HELPERS: Readonly<Record<string, string>> = {
  rlx_f32_to_f16: `fn rlx_f32_to_f16(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  let s = (b >> 16u) & 0x8000u;
  let a = b & 0x7fffffffu;
  if (a > 0x7f800000u) { return s | 0x7e00u | ((a >> 13u) & 0x3ffu); }
  if (a >= 0x477ff000u) { return s | 0x7c00u; }
  if (a >= 0x38800000u) {
    let r = a - 0x38000000u;
    return s | ((r + 0xfffu + ((r >> 13u) & 1u)) >> 13u);
  }
  if (a <= 0x33000000u) { return s; }
  let e = i32(a >> 23u) - 127i;
  let m = (a & 0x7fffffu) | 0x800000u;
  let sh = u32(-1i - e);
  let q = m >> sh;
  let rem = m & ((1u << sh) - 1u);
  let half = 1u << (sh - 1u);
  return s | (q + select(0u, 1u, rem > half || (rem == half && (q & 1u) == 1u)));
}`,
  rlx_f16_to_f32: `fn rlx_f16_to_f32(h: u32) -> f32 {
  let s = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 0x1fu) { return bitcast<f32>(s | 0x7f800000u | (m << 13u)); }
  if (e != 0u) { return bitcast<f32>(s | ((e + 112u) << 23u) | (m << 13u)); }
  if (m == 0u) { return bitcast<f32>(s); }
  let p = 31u - countLeadingZeros(m);
  return bitcast<f32>(s | ((p + 103u) << 23u) | ((m << (23u - p)) & 0x7fffffu));
}`,
  rlx_round_f16: `fn rlx_round_f16(x: f32) -> f32 {
  return rlx_f16_to_f32(rlx_f32_to_f16(x));
}`,
  rlx_f32_to_bf16: `fn rlx_f32_to_bf16(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  if ((b & 0x7fffffffu) > 0x7f800000u) { return (b >> 16u) | 0x40u; }
  return (b + 0x7fffu + ((b >> 16u) & 1u)) >> 16u;
}`,
  rlx_bf16_to_f32: `fn rlx_bf16_to_f32(h: u32) -> f32 {
  return bitcast<f32>(h << 16u);
}`,
  rlx_round_bf16: `fn rlx_round_bf16(x: f32) -> f32 {
  return rlx_bf16_to_f32(rlx_f32_to_bf16(x));
}`,
};
