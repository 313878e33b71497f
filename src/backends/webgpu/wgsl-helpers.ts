/** WGSL helper functions the codegen emits on demand (each only when some kernel uses it). */
export const WGSL_HELPERS: Readonly<Record<string, string>> = {
  // Integer division rounding towards -inf (WGSL's `/` truncates).
  rlx_floordiv: `fn rlx_floordiv(a: i32, b: i32) -> i32 {
  let q = a / b;
  return select(q, q - 1i, (a % b != 0i) && ((a < 0i) != (b < 0i)));
}`,
  // Remainder with the sign of the divisor.
  rlx_floormod: `fn rlx_floormod(a: i32, b: i32) -> i32 {
  let r = a % b;
  return select(r, r + b, (r != 0i) && ((r < 0i) != (b < 0i)));
}`,
  rlx_floormod_f32: `fn rlx_floormod_f32(a: f32, b: f32) -> f32 {
  return a - floor(a / b) * b;
}`,
  // pow with a negative base and an integral exponent (WGSL's pow is undefined for x < 0).
  rlx_pow: `fn rlx_pow(a: f32, b: f32) -> f32 {
  if (b == 0.0f) { return 1.0f; }
  if (b == 1.0f) { return a; }
  if (b == 2.0f) { return a * a; }
  let r = pow(abs(a), b);
  if (a < 0.0f) {
    if (floor(b) != b) { return rlx_f32_bits(0x7fc00000u); }
    if (floor(b * 0.5f) * 2.0f != b) { return -r; }
  }
  return r;
}`,
  // f32 from its bit pattern through a function call: a call is never a WGSL const-expression, so inf and NaN
  // bit patterns are not rejected at shader creation the way \`bitcast<f32>(0x7f800000u)\` is.
  rlx_f32_bits: `fn rlx_f32_bits(b: u32) -> f32 {
  return bitcast<f32>(b);
}`,
  rlx_ipow: `fn rlx_ipow(a: i32, b: i32) -> i32 {
  if (b < 0i) {
    if (a == 1i) { return 1i; }
    if (a == -1i) { return select(-1i, 1i, (b & 1i) == 0i); }
    return 0i;
  }
  var r = 1i;
  var base = a;
  var e = b;
  loop {
    if (e <= 0i) { break; }
    if ((e & 1i) == 1i) { r = r * base; }
    base = base * base;
    e = e >> 1u;
  }
  return r;
}`,
  // tanh saturates to +-1 in f32 beyond |x| ~ 9; clamping keeps backends that expand tanh through exp finite.
  rlx_tanh: `fn rlx_tanh(x: f32) -> f32 {
  return tanh(clamp(x, -10.0f, 10.0f));
}`,
  rlx_sigmoid: `fn rlx_sigmoid(x: f32) -> f32 {
  return 1.0f / (1.0f + exp(-x));
}`,
  // erf: odd Taylor polynomial near 0 (keeps relative accuracy for tiny x), then a rational-exponential fit
  // (absolute error about 1.5e-7) elsewhere.
  rlx_erf: `fn rlx_erf(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.5f) {
    let z = x * x;
    return x * (1.1283791671f + z * (-0.37612638903f + z * (0.11283791671f + z * (-0.026866170645f + z * (0.0052239776254f + z * -0.00085483270234f)))));
  }
  let t = 1.0f / (1.0f + 0.3275911f * a);
  let p = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t;
  let y = 1.0f - p * exp(-a * a);
  return select(-y, y, x >= 0.0f);
}`,
  // Byte and half-word lanes of packed u32 words (bool/int8/uint8 and int16/uint16 buffers keep host layout).
  rlx_lane8: `fn rlx_lane8(w: u32, i: i32) -> u32 {
  return (w >> ((u32(i) & 3u) * 8u)) & 0xffu;
}`,
  rlx_lane16: `fn rlx_lane16(w: u32, i: i32) -> u32 {
  return (w >> ((u32(i) & 1u) * 16u)) & 0xffffu;
}`,
};
